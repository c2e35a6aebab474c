/**
 * One-cancels-the-other: once any order of an `oco_group` has taken a fill, the group's other
 * live orders (that have taken none themselves) are cancelled on the exchange and the
 * cancellation recorded — a take-profit that filled must not leave its stop-loss working.
 */
import type { SqlClient } from '../db/sql.ts';
import type { Exchange } from '../exchange/port.ts';
import { cancelAndRecord } from './cancel.ts';
import { type OrderRow, orderColumns, type Transitions } from './order-rows.ts';

export interface OcoResult {
  cancelled: string[];
  /** Siblings still live (the cancel failed or the exchange does not know them yet). */
  pending: string[];
}

export async function cancelOcoSiblings(
  db: SqlClient,
  exchange: Exchange,
  accountId: number,
  transitions: Transitions,
): Promise<OcoResult> {
  const rows = await db.query<OrderRow & { filled_by: string }>(
    `select ${orderColumns('o')}, f.client_order_id as filled_by
       from public.orders o
       join lateral (
         select g.client_order_id from public.orders g
          where g.account_id = o.account_id and g.oco_group = o.oco_group and g.id <> o.id
            and (g.filled_amount > 0 or exists (select 1 from public.trade_executions t where t.order_id = g.id))
          order by g.id limit 1) f on true
      where o.account_id = $1 and o.oco_group is not null and o.filled_amount = 0
        and o.status in ('pending', 'open', 'partially_filled', 'unknown')
      order by o.id`,
    [accountId],
  );
  const result: OcoResult = { cancelled: [], pending: [] };
  for (const row of rows) {
    const outcome = await cancelAndRecord(
      db,
      exchange,
      row,
      transitions,
      `oco: ${row.filled_by} of group ${row.oco_group} filled`,
    );
    (outcome.kind === 'done' ? result.cancelled : result.pending).push(row.client_order_id);
  }
  return result;
}
