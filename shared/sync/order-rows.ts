/**
 * Order rows brought in line with what the exchange says, through legal transitions only.
 *
 * The database refuses illegal status changes (internal.order_transitions) and a filled amount
 * that goes down; this module asks for neither. A status the row cannot reach from where it is
 * (the exchange reports `open` for a row already `partially_filled`) leaves the status alone and
 * still records the newer fill figures. Nothing is written when nothing differs, so a second
 * sync adds no order events.
 */
import type { SqlClient, SqlQueryable } from '../db/sql.ts';
import type { OrderRowStatus } from '../exchange/placement.ts';
import type { ExchangeOrder } from '../exchange/port.ts';
import { dec } from '../money/decimal.ts';
import { syncTransaction } from './transaction.ts';

export const LIVE_STATUSES = ['pending', 'open', 'partially_filled', 'unknown'] as const;

/** The allowed (from, to) status pairs, as "from>to". */
export type Transitions = ReadonlySet<string>;

export async function loadTransitions(db: SqlQueryable): Promise<Transitions> {
  const known = transitionsRead.get(db);
  if (known) return known;
  const rows = await db.query<{ from_status: string; to_status: string }>(
    'select from_status, to_status from internal.order_transitions',
  );
  const transitions: Transitions = new Set(rows.map((r) => `${r.from_status}>${r.to_status}`));
  transitionsRead.set(db, transitions);
  return transitions;
}

/**
 * The order status machine per database client, read once: it is reference data that only a
 * migration changes (a worker invocation, or a process, is far shorter-lived than a deploy).
 */
const transitionsRead = new WeakMap<SqlQueryable, Transitions>();

/** The statuses to pass through from `from` to reach `to`; empty when it cannot (or need not). */
export function statusPath(transitions: Transitions, from: string, to: string): string[] {
  if (from === to) return [];
  if (transitions.has(`${from}>${to}`)) return [to];
  // pending → expired is not allowed: the order was open on the exchange first.
  if (transitions.has(`${from}>open`) && transitions.has(`open>${to}`)) return ['open', to];
  return [];
}

export interface OrderRow {
  id: number;
  owner: string;
  client_order_id: string;
  exchange_order_id: string | null;
  symbol: string;
  side: 'buy' | 'sell';
  status: OrderRowStatus;
  amount: string;
  filled_amount: string;
  average_price: string | null;
  fee_cost: string;
  fee_currency: string | null;
  oco_group: string | null;
  /** Never sent: a protective leg the worker watches (shared/pipeline/emulated-orders.ts). */
  emulated: boolean;
}

/** The OrderRow columns of `public.orders` under `alias`. */
export function orderColumns(alias = 'orders'): string {
  const a = `${alias}.`;
  return `${a}id, ${a}owner, ${a}client_order_id, ${a}exchange_order_id, ${a}symbol, ${a}side, ${a}status,
    ${a}amount::text as amount, ${a}filled_amount::text as filled_amount, ${a}average_price::text as average_price,
    ${a}fee_cost::text as fee_cost, ${a}fee_currency, ${a}oco_group, ${a}emulated`;
}

export interface RecordResult {
  changed: boolean;
  status: OrderRowStatus;
}

/** Records `order` on row `orderId` (locked for the change); `reason` explains a status change. */
export async function recordExchangeOrder(
  db: SqlClient,
  orderId: number,
  order: ExchangeOrder,
  transitions: Transitions,
  reason?: string,
): Promise<RecordResult> {
  return syncTransaction(db, { order_id: orderId }, async (tx) => {
    const rows = await tx.query<OrderRow>(
      `select ${orderColumns()} from public.orders where id = $1 for update`,
      [orderId],
    );
    const row = rows[0];
    if (!row) throw new Error(`sync: order row ${orderId} does not exist`);

    const amount = dec(order.amount).gt(0) ? dec(order.amount) : dec(row.amount);
    const filled = dec(row.filled_amount).gt(order.filled) ? dec(row.filled_amount) : dec(order.filled);
    const next = {
      amount: amount.toFixed(),
      filled: (filled.gt(amount) ? amount : filled).toFixed(),
      average: order.averagePrice ?? row.average_price,
      feeCost: order.fee?.cost ?? row.fee_cost,
      feeCurrency: order.fee?.currency ?? row.fee_currency,
      exchangeOrderId: row.exchange_order_id ?? order.exchangeOrderId,
    };
    const path = statusPath(transitions, row.status, order.status);
    const same =
      path.length === 0 &&
      dec(next.amount).eq(row.amount) &&
      dec(next.filled).eq(row.filled_amount) &&
      sameDecimal(next.average, row.average_price) &&
      dec(next.feeCost).eq(row.fee_cost) &&
      next.feeCurrency === row.fee_currency &&
      next.exchangeOrderId === row.exchange_order_id;
    if (same) return { changed: false, status: row.status };

    let status = row.status;
    const steps = path.length === 0 ? [row.status] : path;
    for (const [i, step] of steps.entries()) {
      const moves = step !== status;
      await tx.query(
        `update public.orders
            set status = $2,
                status_reason = case when $3 then $4 else status_reason end,
                amount = $5, filled_amount = $6, average_price = $7, fee_cost = $8, fee_currency = $9,
                exchange_order_id = $10
          where id = $1`,
        [
          row.id,
          step,
          moves,
          reason ?? `the exchange reports ${order.status}${i < steps.length - 1 ? ` (via ${step})` : ''}`,
          next.amount,
          next.filled,
          next.average,
          next.feeCost,
          next.feeCurrency,
          next.exchangeOrderId,
        ],
      );
      status = step as OrderRowStatus;
    }
    return { changed: true, status };
  });
}

function sameDecimal(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return dec(a).eq(b);
}
