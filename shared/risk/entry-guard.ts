/**
 * The risk rules again, inside the transaction that writes the entry's pending order row
 * (placement's `beforeInsert` hook): with the trader, account and signal rows locked, the
 * database facts are re-read and every state rule re-applied. A kill switch engaged, a halt,
 * another entry of the same trader or on the same symbol committed since prepareEntry → the hook
 * throws RiskRejected, the transaction rolls back, and nothing is written or sent.
 *
 * The exchange is not called here (a lock is never held across a network call). The market
 * rules (price sanity, minimums, balance) were applied by prepareEntry moments before; the
 * notional limits are re-checked when the caller passes the plan's reference price, and the
 * unsellable-remainder limit (max_dust_bps, re-read here) when it also passes the plan's
 * expected dust: the same rule, on the dust prepareEntry computed from the market's lot and fee.
 */
import type { SqlQueryable } from '../db/sql.ts';
import type { OrderIntent } from '../exchange/placement.ts';
import { readEntryState } from './entry-state.ts';
import { checkEntryState } from './evaluate-entry.ts';
import type { RiskViolation } from './facts.ts';
import { RiskRejected } from './risk-rejected.ts';

export interface EntryGuardOptions {
  /** The price the plan was sized at (EntryPlan.referencePrice): enables the notional limits. */
  referencePrice?: string;
  /**
   * The plan's expected unsellable amount in the base asset (EntryPlan.dust.amount): with
   * `referencePrice`, enables the dust limit.
   */
  dust?: string;
}

export function entryRiskGuard(
  signalId: number,
  now: number,
  options: EntryGuardOptions = {},
): (tx: SqlQueryable, intent: OrderIntent) => Promise<void> {
  return async (tx, intent) => {
    const state = await readEntryState(tx, signalId, now, { lock: true });
    const mismatch: RiskViolation[] =
      intent.leg !== 'entry' || intent.accountId !== state.account.id || intent.symbol !== state.signal.symbol
        ? [
            {
              rule: 'signal_status',
              reason: `The order (${intent.leg} ${intent.symbol} on account ${intent.accountId}) is not signal ${signalId}'s entry (${state.signal.symbol} on account ${state.account.id}).`,
            },
          ]
        : [];
    const order =
      options.referencePrice === undefined
        ? undefined
        : {
            amount: intent.amount,
            referencePrice: options.referencePrice,
            quote: quoteOf(intent.symbol),
            ...(options.dust !== undefined && { dust: options.dust }),
          };
    const violations = [...mismatch, ...checkEntryState(state, order)];
    if (violations.length > 0) throw new RiskRejected(violations);
  };
}

/** `BTC/USDT` and `BTC/USDT:USDT` → USDT. */
function quoteOf(symbol: string): string {
  return symbol.split('/')[1]?.split(':')[0] ?? '';
}
