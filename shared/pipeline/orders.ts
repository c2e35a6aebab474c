/**
 * The order rows of a signal and the two things the pipeline does to them besides placing:
 * recording what the exchange says, and cancelling (on the exchange, or only in the database
 * for an emulated order, which was never sent).
 */
import type { SqlClient, SqlQueryable } from '../db/sql.ts';
import { classifyExchangeError } from '../exchange/errors.ts';
import type { OrderRowStatus } from '../exchange/placement.ts';
import type { Exchange, ExchangeOrder } from '../exchange/port.ts';
import { actAs } from './signals.ts';

export type Leg = 'entry' | 'stop_loss' | 'take_profit' | 'exit';

export interface OrderRow {
  id: number;
  owner: string;
  account_id: number;
  client_order_id: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: string;
  amount: string;
  filled_amount: string;
  stop_price: string | null;
  fee_cost: string;
  fee_currency: string | null;
  status: OrderRowStatus;
  emulated: boolean;
  oco_group: string | null;
  signal_id: number | null;
  leg: Leg | null;
  attempt: number | null;
}

export const LIVE_STATUSES: readonly OrderRowStatus[] = ['pending', 'open', 'partially_filled', 'unknown'];

const ORDER_COLUMNS = `o.id, o.owner, o.account_id, o.client_order_id, o.symbol, o.side, o.type,
  o.amount::text as amount, o.filled_amount::text as filled_amount, o.stop_price::text as stop_price,
  o.fee_cost::text as fee_cost, o.fee_currency, o.status, o.emulated, o.oco_group,
  so.signal_id, so.leg, so.attempt`;

export function selectOrders(where: string): string {
  return `select ${ORDER_COLUMNS}
            from public.orders o left join public.signal_orders so on so.order_id = o.id
           where ${where}`;
}

/** Every order of a signal, oldest attempt first per leg. */
export async function signalOrders(db: SqlQueryable, signalId: number): Promise<OrderRow[]> {
  return db.query<OrderRow>(`${selectOrders('so.signal_id = $1')} order by so.leg, so.attempt`, [signalId]);
}

export function isLive(row: Pick<OrderRow, 'status'>): boolean {
  return LIVE_STATUSES.includes(row.status);
}

/** The attempt number a new order of `leg` takes: one more than any before it. */
export function nextAttempt(rows: readonly OrderRow[], leg: Leg): number {
  return rows.filter((row) => row.leg === leg).reduce((max, row) => Math.max(max, row.attempt ?? 0), 0) + 1;
}

/**
 * Records the exchange's view of an order row: status (along a legal path), fills, average
 * price and fee. Filled amounts only grow; a move the status machine refuses leaves the row
 * as it is (another writer got there first and is right).
 */
export async function recordOrder(
  db: SqlClient,
  rowId: number,
  order: ExchangeOrder,
  actor: string,
): Promise<OrderRowStatus> {
  return db.transaction(async (tx) => {
    await actAs(tx, actor);
    const [current] = await tx.query<{ status: OrderRowStatus }>(
      'select status from public.orders where id = $1 for update',
      [rowId],
    );
    if (!current) throw new Error(`order ${rowId} does not exist`);
    const path: OrderRowStatus[] =
      (current.status === 'pending' || current.status === 'unknown') &&
      (order.status === 'expired' || order.status === 'cancelled') &&
      order.filled !== '0'
        ? ['partially_filled', order.status]
        : current.status === 'pending' && order.status === 'expired'
          ? ['open', 'expired']
          : [order.status];
    let status = current.status;
    for (const next of path) {
      const moved = await tx.query<{ status: OrderRowStatus }>(
        `update public.orders o
            set status = $2,
                exchange_order_id = coalesce(o.exchange_order_id, $3),
                filled_amount = greatest(o.filled_amount, least($4::numeric, o.amount)),
                average_price = coalesce($5::numeric, o.average_price),
                fee_cost = greatest(o.fee_cost, coalesce($6::numeric, 0)),
                fee_currency = coalesce($7, o.fee_currency)
          where o.id = $1
            and (o.status = $2 or exists (select 1 from internal.order_transitions t
                                           where t.from_status = o.status and t.to_status = $2))
          returning o.status`,
        [
          rowId,
          next,
          order.exchangeOrderId,
          order.filled,
          order.averagePrice,
          order.fee?.cost ?? null,
          order.fee?.currency ?? null,
        ],
      );
      if (!moved[0]) break;
      status = moved[0].status;
    }
    return status;
  });
}

/** Moves a row straight to a status (no exchange involved): emulated orders, and our own decisions. */
export async function markOrder(
  db: SqlQueryable,
  rowId: number,
  from: readonly OrderRowStatus[],
  to: OrderRowStatus,
  reason: string,
): Promise<boolean> {
  const rows = await db.query(
    `update public.orders set status = $3, status_reason = $4 where id = $1 and status = any($2::text[]) returning id`,
    [rowId, [...from], to, reason.slice(0, 2000)],
  );
  return rows.length > 0;
}

/**
 * Cancels a live order. An emulated order is only ever in the database, so it is cancelled
 * there. Otherwise the exchange is asked; when it refuses (the order already filled, or it
 * never got there) the order is looked up and whatever the exchange says is recorded — a
 * cancel that races a fill must never hide the fill. Returns the row's status afterwards.
 */
export async function cancelOrderRow(
  db: SqlClient,
  exchange: Exchange,
  row: OrderRow,
  reason: string,
  actor: string,
): Promise<OrderRowStatus> {
  if (!isLive(row)) return row.status;
  if (row.emulated) {
    await db.transaction(async (tx) => {
      await actAs(tx, actor);
      await markOrder(tx, row.id, LIVE_STATUSES, 'cancelled', reason);
    });
    return (await currentStatus(db, row.id)) ?? row.status;
  }
  try {
    const cancelled = await exchange.cancelOrder(row.symbol, { clientOrderId: row.client_order_id });
    return await recordOrder(db, row.id, cancelled, actor);
  } catch (error) {
    if (classifyExchangeError(error) === 'bug') throw error;
    const found = await exchange.fetchOrder(row.symbol, { clientOrderId: row.client_order_id });
    if (found) return recordOrder(db, row.id, found, actor);
    // A pending or unknown order that is not on the exchange *yet* may still be on its way
    // (another run is sending it): only placement and reconciliation, after the in-flight
    // window, may decide it never got there. Marking it failed here would hide its fill.
    if (row.status === 'pending' || row.status === 'unknown') return row.status;
    // Open on our books but unknown to the exchange: nothing left to cancel there.
    await db.transaction(async (tx) => {
      await actAs(tx, actor);
      await markOrder(
        tx,
        row.id,
        ['open', 'partially_filled'],
        'cancelled',
        `${reason}; not on the exchange`,
      );
    });
    return (await currentStatus(db, row.id)) ?? row.status;
  }
}

async function currentStatus(db: SqlQueryable, id: number): Promise<OrderRowStatus | undefined> {
  const rows = await db.query<{ status: OrderRowStatus }>('select status from public.orders where id = $1', [
    id,
  ]);
  return rows[0]?.status;
}
