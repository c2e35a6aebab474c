/**
 * Emulated legs (protective orders the worker watches and never sends) that can no longer fire
 * are cancelled in the database: a member of their OCO group has taken a fill, their signal's
 * position is closed, or their signal has left the states that hold a position (cancelled,
 * failed, closed by an emergency stop). The venue cannot cancel what it never saw, so this is
 * the sync job's part of the OCO and orphan sweeps for them; one statement per account.
 */
import type { SqlClient } from '../db/sql.ts';
import { syncTransaction } from './transaction.ts';

/** Cancels the account's emulated legs that must not fire any more; returns their ids. */
export async function settleEmulatedLegs(db: SqlClient, accountId: number): Promise<number[]> {
  const rows = await syncTransaction(db, { step: 'settle emulated legs' }, (tx) =>
    tx.query<{ id: number }>(
      `update public.orders o
          set status = 'cancelled',
              status_reason = 'emulated leg no longer needed: its OCO group filled or its position is closed'
        where o.account_id = $1 and o.emulated and o.status = 'open'
          and (exists (select 1 from public.orders g
                        where g.oco_group = o.oco_group and g.id <> o.id and g.filled_amount > 0)
               or exists (select 1 from public.signal_orders so
                            join public.signals s on s.id = so.signal_id
                           where so.order_id = o.id
                             and (s.status not in ('ready', 'in_position')
                                  or exists (select 1 from public.signal_positions sp
                                               join public.positions p on p.id = sp.position_id
                                              where sp.signal_id = s.id and p.status = 'closed'))))
        returning o.id`,
      [accountId],
    ),
  );
  return rows.map((row) => row.id);
}
