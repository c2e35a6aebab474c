/**
 * Closing a position at market (the risk sweep's per-position max loss, and the emergency
 * stop): first the signal's protective orders are cancelled — on spot they lock the very base
 * the exit must sell — then one market exit (leg `exit`) for the amount held. An exit already
 * working is left to finish, so running this twice sends one exit.
 */
import type { SqlClient } from '../db/sql.ts';
import { clientOrderIdFor } from '../exchange/client-order-id.ts';
import { type PlacementResult, placeOrder } from '../exchange/placement.ts';
import type { Exchange } from '../exchange/port.ts';
import { dec, roundAmountToStep, toDecimalString } from '../money/decimal.ts';
import type { Pipeline } from './deps.ts';
import { cancelOrderRow, isLive, nextAttempt, signalOrders } from './orders.ts';

export interface OpenPosition {
  id: number;
  owner: string;
  account_id: number;
  symbol: string;
  side: 'long' | 'short';
  amount: string;
  signal_id: number | null;
}

export type CloseResult =
  | { kind: 'placed'; placement: PlacementResult }
  | { kind: 'exit_working' | 'exit_filled' | 'dust'; orderId?: number };

export async function closePositionAtMarket(
  pipeline: Pick<Pipeline, 'placement'>,
  db: SqlClient,
  exchange: Exchange,
  position: OpenPosition,
  reason: string,
  actor: string,
): Promise<CloseResult> {
  const rows = position.signal_id === null ? [] : await signalOrders(db, position.signal_id);
  const working = rows.find((row) => row.leg === 'exit' && isLive(row) && !row.emulated);
  if (working) return { kind: 'exit_working', orderId: working.id };
  for (const row of rows) {
    if (row.leg === 'entry' || !isLive(row)) continue;
    const status = await cancelOrderRow(db, exchange, row, reason, actor);
    // A protective order that filled while we were cancelling has already closed the position.
    if (status === 'filled') return { kind: 'exit_filled', orderId: row.id };
  }
  const market = await exchange.market(position.symbol);
  const amount = roundAmountToStep(position.amount, market.amountStep);
  if (amount.lte(0) || (market.minAmount !== null && amount.lt(dec(market.minAmount))))
    return { kind: 'dust' };

  const intentId = position.signal_id ?? `pos${position.id}`;
  const attempt =
    position.signal_id === null
      ? await nextUnlinkedAttempt(db, `pos${position.id}`)
      : nextAttempt(rows, 'exit');
  if (attempt === null) return { kind: 'exit_working' };
  const placement = await placeOrder(
    db,
    exchange,
    {
      intentId,
      leg: 'exit',
      attempt,
      owner: position.owner,
      accountId: position.account_id,
      ...(position.signal_id === null ? {} : { signalId: position.signal_id }),
      symbol: position.symbol,
      side: position.side === 'long' ? 'sell' : 'buy',
      type: 'market',
      amount: toDecimalString(amount),
      ...(market.reduceOnly ? { reduceOnly: true } : {}),
    },
    { ...pipeline.placement, actor },
  );
  return { kind: 'placed', placement };
}

/** A position no signal opened has no signal_orders: its exit attempts are found by client order id. */
async function nextUnlinkedAttempt(db: SqlClient, intentId: string): Promise<number | null> {
  for (let attempt = 1; attempt <= 50; attempt++) {
    const id = clientOrderIdFor({ intentId, leg: 'exit', attempt });
    const rows = await db.query<{ status: string }>(
      'select status from public.orders where client_order_id = $1',
      [id],
    );
    if (!rows[0]) return attempt;
    if (['pending', 'open', 'partially_filled', 'unknown'].includes(rows[0].status)) return null;
  }
  return null;
}
