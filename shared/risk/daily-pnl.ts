/**
 * Realised P&L of the current UTC day.
 *
 * One source of truth: `public.signals.realized_pnl` of the signals closed today
 * (`status = 'closed'`, `closed_at` in [00:00 UTC, next 00:00 UTC) of `now`). SYNC writes it in
 * the transaction that moves a signal to `closed` once its position is flat, so one closed trade
 * is one row, counted once, and it belongs to exactly one trader (positions carry no trader, and
 * one account may hold positions of several traders). Consequence: the loss of a trade still
 * open (a partial exit) counts from the moment the trade closes, not before.
 */
import type { SqlQueryable } from '../db/sql.ts';
import { toDecimalString } from '../money/decimal.ts';
import { nextUtcMidnight, startOfUtcDay } from './utc-day.ts';

export async function dailyRealizedPnl(db: SqlQueryable, traderId: number, now: number): Promise<string> {
  return sumClosedToday(db, traderId, null, now);
}

/** The same across all of a user's traders: what the user-level daily loss limit compares with. */
export async function dailyRealizedPnlForUser(db: SqlQueryable, owner: string, now: number): Promise<string> {
  return sumClosedToday(db, null, owner, now);
}

/** internal.realized_pnl_closed_between (migration 20261121009100) over the UTC day of `now`. */
async function sumClosedToday(
  db: SqlQueryable,
  traderId: number | null,
  owner: string | null,
  now: number,
): Promise<string> {
  const rows = await db.query<{ pnl: string }>(
    `select internal.realized_pnl_closed_between($1, $2,
              pg_catalog.to_timestamp($3::double precision / 1000),
              pg_catalog.to_timestamp($4::double precision / 1000))::text as pnl`,
    [traderId, owner, startOfUtcDay(now), nextUtcMidnight(now)],
  );
  return toDecimalString(rows[0]?.pnl ?? '0');
}
