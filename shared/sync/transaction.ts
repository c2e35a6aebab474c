/**
 * Every write of the sync job goes through a short transaction that names its actor, so each
 * order and signal event it causes is audited as `worker:sync` with what it was doing.
 */
import type { SqlClient, SqlQueryable } from '../db/sql.ts';

export const SYNC_ACTOR = 'worker:sync';

export async function syncTransaction<T>(
  db: SqlClient,
  context: Record<string, unknown>,
  fn: (tx: SqlQueryable) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(
      `select pg_catalog.set_config('tradeflow.actor', $1, true),
              pg_catalog.set_config('tradeflow.context', $2, true)`,
      [SYNC_ACTOR, JSON.stringify({ job: 'sync', ...context })],
    );
    return fn(tx);
  });
}

/** Exchange time (ms) as a SQL expression over parameter `$n`. */
export const fromMs = (param: string) => `pg_catalog.to_timestamp(${param}::double precision / 1000)`;
