/**
 * The fills cursor per (account, symbol): from which exchange time the next sync asks for
 * fills. The row doubles as the lock that serialises fills of one position (a concurrent sync
 * of the same account waits for it instead of racing to create the same open position).
 */
import type { SqlQueryable } from '../db/sql.ts';
import { fromMs } from './transaction.ts';

/** Fills are asked for from this long before the cursor: same-millisecond races and clock skew. */
export const CURSOR_OVERLAP_MS = 60_000;

export async function readCursor(
  db: SqlQueryable,
  accountId: number,
  symbol: string,
): Promise<number | null> {
  const rows = await db.query<{ since: number | null }>(
    `select (extract(epoch from trades_since) * 1000)::float8 as since
       from internal.sync_cursors where account_id = $1 and symbol = $2`,
    [accountId, symbol],
  );
  return rows[0]?.since ?? null;
}

/** Locks the (account, symbol) cursor row for the rest of the transaction, creating it if needed. */
export async function lockCursor(tx: SqlQueryable, accountId: number, symbol: string): Promise<void> {
  const lock = () =>
    tx.query(`select 1 from internal.sync_cursors where account_id = $1 and symbol = $2 for update`, [
      accountId,
      symbol,
    ]);
  // The row exists after the market's first fill: one statement then, two the first time.
  if ((await lock()).length > 0) return;
  await tx.query(
    `insert into internal.sync_cursors (account_id, symbol) values ($1, $2) on conflict do nothing`,
    [accountId, symbol],
  );
  await lock();
}

/**
 * Moves the cursor: one statement, no transaction of its own (the row holds no audited state;
 * a concurrent sync that writes an older time only makes the next run ask for fills again, and
 * those already recorded are skipped by their trade id).
 */
export async function writeCursor(
  db: SqlQueryable,
  accountId: number,
  symbol: string,
  sinceMs: number,
): Promise<void> {
  await db.query(
    `update internal.sync_cursors set trades_since = ${fromMs('$3')}, updated_at = pg_catalog.now()
      where account_id = $1 and symbol = $2 and trades_since is distinct from ${fromMs('$3')}`,
    [accountId, symbol, sinceMs],
  );
}
