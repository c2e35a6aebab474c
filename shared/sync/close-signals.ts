/**
 * Closing signals whose position is flat.
 *
 * Before a signal is closed, no order of it may stay live: the orphan sweep cancels what is
 * still working (a protective order, the unfilled rest of an entry) and records it. A signal
 * with an order the sweep could not settle (the cancel failed, or a pending row the exchange
 * does not know yet) stays `in_position` until a later sync can: closing it would leave an
 * order nobody watches. The signal takes its position's realised P&L and fees.
 */
import type { SqlClient } from '../db/sql.ts';
import type { Exchange } from '../exchange/port.ts';
import { cancelAndRecord } from './cancel.ts';
import { LIVE_STATUSES, type OrderRow, orderColumns, type Transitions } from './order-rows.ts';
import { syncTransaction } from './transaction.ts';

export interface CloseResult {
  closed: number[];
  /** Client ids the orphan sweep cancelled (or found already done). */
  orphansCancelled: string[];
  /** Signals left in position because an order of theirs is still live. */
  waiting: number[];
}

interface FlatSignal {
  id: number;
  position_id: number;
  realized_pnl: string;
  fees_paid: string;
}

export async function closeFlatSignals(
  db: SqlClient,
  exchange: Exchange,
  accountId: number,
  transitions: Transitions,
): Promise<CloseResult> {
  const signals = await db.query<FlatSignal>(
    `select s.id, p.id as position_id, p.realized_pnl::text as realized_pnl, p.fees_paid::text as fees_paid
       from public.signals s
       join public.signal_positions sp on sp.signal_id = s.id
       join public.positions p on p.id = sp.position_id
      where p.account_id = $1 and p.status = 'closed' and s.status = 'in_position'
      order by s.id`,
    [accountId],
  );
  const result: CloseResult = { closed: [], orphansCancelled: [], waiting: [] };
  for (const signal of signals) {
    const live = await liveOrdersOf(db, signal.id);
    let settled = true;
    for (const row of live) {
      const outcome = await cancelAndRecord(
        db,
        exchange,
        row,
        transitions,
        `orphan sweep: position ${signal.position_id} is flat`,
      );
      if (outcome.kind === 'done') result.orphansCancelled.push(row.client_order_id);
      else settled = false;
    }
    if (!settled || (await liveOrdersOf(db, signal.id)).length > 0) {
      result.waiting.push(signal.id);
      continue;
    }
    const moved = await syncTransaction(db, { signal_id: signal.id, position_id: signal.position_id }, (tx) =>
      tx.query(
        `update public.signals
            set status = 'closed', status_reason = 'position closed', realized_pnl = $2, fees_paid = $3
          where id = $1 and status = 'in_position' returning id`,
        [signal.id, signal.realized_pnl, signal.fees_paid],
      ),
    );
    if (moved.length > 0) result.closed.push(signal.id);
  }
  return result;
}

async function liveOrdersOf(db: SqlClient, signalId: number): Promise<OrderRow[]> {
  return db.query<OrderRow>(
    `select ${orderColumns('o')} from public.signal_orders so join public.orders o on o.id = so.order_id
      where so.signal_id = $1 and o.status = any($2::text[]) order by o.id`,
    [signalId, `{${LIVE_STATUSES.join(',')}}`],
  );
}
