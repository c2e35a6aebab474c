/**
 * Turns a `ready` signal into an entry plan: read the facts (database, then exchange), size the
 * entry, apply every rule. Reads only; the caller acts on the plan:
 *
 *   const plan = await prepareEntry(db, exchange, signalId, now);
 *   if (plan.kind === 'place') {
 *     await placeOrder(db, exchange, plan.intent, {
 *       beforeInsert: entryRiskGuard(signalId, now, {
 *         referencePrice: plan.referencePrice,
 *         dust: plan.dust.amount,
 *       }),
 *     });
 *   }
 *
 * Order type policy: the entry is a market order. A signal becomes `ready` when the monitor
 * judged its entry condition met at the current price, so the entry takes the market now; price
 * sanity bounds how far the market may have moved from the signal's entry price
 * (max_slippage_bps), and the reference price sizes it.
 *
 * When a database rule already refuses (kill switch, halt, positions…), the exchange is not
 * asked at all: the plan does not depend on it, and it may be the thing that is down.
 */
import type { SqlClient } from '../db/sql.ts';
import type { OrderIntent } from '../exchange/placement.ts';
import type { Exchange } from '../exchange/port.ts';
import { dec, toDecimalString } from '../money/decimal.ts';
import { readEntryState } from './entry-state.ts';
import { checkEntryState, evaluateEntry } from './evaluate-entry.ts';
import { type ExpectedDust, entryFeeOf, type MarketFacts, type RiskViolation } from './facts.ts';

export type EntryPlan =
  | {
      kind: 'place';
      intent: OrderIntent;
      notional: string;
      /** The price the entry was sized and checked at; give it to entryRiskGuard. */
      referencePrice: string;
      /** What the entry is expected to leave unsellable; give `dust.amount` to entryRiskGuard. */
      dust: ExpectedDust;
    }
  | { kind: 'reject'; reasons: string[]; violations: RiskViolation[] }
  | { kind: 'await_confirmation'; notional: string; reason: string };

export interface PrepareEntryOptions {
  /** Entry attempt (default 1); a new attempt after one that certainly failed is the caller's choice. */
  attempt?: number;
}

export async function prepareEntry(
  db: SqlClient,
  exchange: Exchange,
  signalId: number,
  now: number,
  options: PrepareEntryOptions = {},
): Promise<EntryPlan> {
  const state = await readEntryState(db, signalId, now);
  const early = checkEntryState(state);
  if (early.length > 0) return { kind: 'reject', reasons: early.map((v) => v.reason), violations: early };

  const market = await marketFacts(exchange, state.signal.symbol);
  const decision = evaluateEntry({ ...state, market });
  if (decision.kind === 'reject') return decision;
  if (decision.kind === 'await_confirmation') {
    return { kind: 'await_confirmation', notional: decision.notional, reason: decision.reason };
  }
  return {
    kind: 'place',
    notional: decision.notional,
    referencePrice: decision.referencePrice,
    dust: decision.dust,
    intent: {
      intentId: signalId,
      leg: 'entry',
      attempt: options.attempt ?? 1,
      owner: state.owner,
      accountId: state.account.id,
      signalId,
      symbol: state.signal.symbol,
      side: decision.side,
      type: 'market',
      amount: decision.amount,
    },
  };
}

/**
 * The exchange's side of the facts: filters, last price, the balance of the market's quote and
 * base, and the entry's fee as the market describes it (when it does not, the worst case for
 * dust is assumed: ASSUMED_ENTRY_FEE, 0.1 % taken from the base bought).
 */
export async function marketFacts(exchange: Exchange, symbol: string): Promise<MarketFacts> {
  // Three independent reads: asked for at once, so the entry waits for one round trip, not three.
  const [market, ticker, balances] = await Promise.all([
    exchange.market(symbol),
    exchange.ticker(symbol),
    exchange.balance(),
  ]);
  const line = (asset: string) => balances.find((b) => b.asset === asset);
  const quote = line(market.quote);
  return {
    market,
    last: ticker.last,
    bid: ticker.bid,
    ask: ticker.ask,
    equity: toDecimalString(quote ? dec(quote.total) : 0),
    freeQuote: toDecimalString(quote ? dec(quote.free) : 0),
    freeBase: toDecimalString(line(market.base)?.free ?? 0),
    entryFee: entryFeeOf(market),
  };
}
