/**
 * Emulated legs (protective orders the worker watches and never sends) that can no longer fire
 * are cancelled in the database: a member of their OCO group has taken a fill, their signal's
 * position is closed, or their signal has left the states that hold a position (cancelled,
 * failed, closed by an emergency stop). The venue cannot cancel what it never saw, so this is
 * the sync job's part of the OCO and orphan sweeps for them; one call per account
 * (internal.settle_emulated_legs, which audits what it cancels as worker:sync).
 */
import type { SqlClient } from '../db/sql.ts';

/** Cancels the account's emulated legs that must not fire any more; returns their ids. */
export async function settleEmulatedLegs(db: SqlClient, accountId: number): Promise<number[]> {
  const rows = await db.query<{ id: number }>('select internal.settle_emulated_legs($1) as id', [accountId]);
  return rows.map((row) => row.id);
}
