/**
 * Cancel an order on the exchange and record what became of it.
 *
 * A cancel can lose a race (the order filled or was cancelled a moment before) or hit an order
 * the venue never received: the order is then looked up, and whatever the exchange says is
 * recorded. An order the exchange does not know is left as it is (never marked cancelled on
 * our side alone); reconcileUnknownOrders settles pending and unknown rows by client id.
 *
 * An emulated leg was never sent: the venue cannot cancel what it never saw, so it is cancelled
 * in the database alone (it is only ever `open` until it fires or is cancelled).
 */
import type { SqlClient } from '../db/sql.ts';
import { classifyExchangeError } from '../exchange/errors.ts';
import type { Exchange, ExchangeOrder } from '../exchange/port.ts';
import { type OrderRow, recordExchangeOrder, type Transitions } from './order-rows.ts';
import { syncTransaction } from './transaction.ts';

export type CancelOutcome =
  /** The exchange confirmed the order is no longer live (cancelled, or filled / expired first). */
  | { kind: 'done'; status: string }
  /** Still live on the exchange after the attempt. */
  | { kind: 'live'; reason: string }
  /** The exchange does not know the order. */
  | { kind: 'not_found' };

export async function cancelAndRecord(
  db: SqlClient,
  exchange: Exchange,
  row: Pick<OrderRow, 'id' | 'client_order_id' | 'symbol' | 'emulated'>,
  transitions: Transitions,
  reason: string,
): Promise<CancelOutcome> {
  if (row.emulated) return cancelEmulated(db, row.id, reason);
  const ref = { clientOrderId: row.client_order_id };
  let order: ExchangeOrder | null;
  let failure: unknown;
  try {
    order = await exchange.cancelOrder(row.symbol, ref);
  } catch (error) {
    // A crash stand-in or a bug propagates; a venue's answer ("unknown order") is looked into.
    if (classifyExchangeError(error) === 'bug') throw error;
    failure = error;
    order = await exchange.fetchOrder(row.symbol, ref);
  }
  if (!order) return { kind: 'not_found' };
  const result = await recordExchangeOrder(db, row.id, order, transitions, reason);
  if (order.status === 'open' || order.status === 'partially_filled') {
    return { kind: 'live', reason: failure instanceof Error ? failure.message : 'still open after cancel' };
  }
  return { kind: 'done', status: result.status };
}

async function cancelEmulated(db: SqlClient, orderId: number, reason: string): Promise<CancelOutcome> {
  const rows = await syncTransaction(db, { order_id: orderId, emulated: true }, (tx) =>
    tx.query<{ status: string }>(
      `with cancelled as (
         update public.orders set status = 'cancelled', status_reason = $2
          where id = $1 and emulated and status = 'open' returning status)
       select status from cancelled
       union all
       select status from public.orders where id = $1 and not exists (select 1 from cancelled)`,
      [orderId, reason.slice(0, 2000)],
    ),
  );
  return { kind: 'done', status: rows[0]?.status ?? 'cancelled' };
}
