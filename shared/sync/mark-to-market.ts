/**
 * Mark to market: each open position's mark price and unrealised P&L at the given prices.
 * A position whose figures would not change is not written (repeating a mark changes nothing);
 * the others in one statement.
 */
import type { SqlClient } from '../db/sql.ts';
import { dec } from '../money/decimal.ts';
import { unrealizedPnl } from '../positions/ledger.ts';
import { POSITION_COLUMNS, type PositionRow, stateOf } from './position-rows.ts';

export interface MarkedPosition {
  positionId: number;
  symbol: string;
  markPrice: string;
  unrealizedPnl: string;
}

/**
 * `priceOf`: the last price of a symbol (asked once per position, so the caller caches), or
 * undefined to leave that symbol's positions alone.
 */
export async function markToMarket(
  db: SqlClient,
  accountId: number,
  priceOf: (symbol: string) => Promise<string | undefined>,
): Promise<MarkedPosition[]> {
  const changed: MarkedPosition[] = [];
  for (const row of await openPositionMarks(db, accountId)) {
    const price = await priceOf(row.symbol);
    if (price === undefined) continue;
    const pnl = unrealizedPnl(stateOf(row), price).toFixed();
    if (sameNumber(row.mark_price, price) && sameNumber(row.unrealized_pnl, pnl)) continue;
    changed.push({ positionId: row.id, symbol: row.symbol, markPrice: price, unrealizedPnl: pnl });
  }
  if (changed.length === 0) return [];
  // One statement, no transaction of its own: marks are not audited events.
  const updated = await db.query<{ id: number }>(
    `update public.positions p set mark_price = m.price, unrealized_pnl = m.pnl
       from unnest($2::bigint[], $3::numeric[], $4::numeric[]) as m (id, price, pnl)
      where p.id = m.id and p.account_id = $1 and p.status = 'open'
        and (p.mark_price is distinct from m.price or p.unrealized_pnl is distinct from m.pnl)
      returning p.id`,
    [
      accountId,
      changed.map((m) => m.positionId),
      changed.map((m) => m.markPrice),
      changed.map((m) => m.unrealizedPnl),
    ],
  );
  const written = new Set(updated.map((row) => row.id));
  return changed.filter((m) => written.has(m.positionId));
}

interface PositionMarkRow extends PositionRow {
  mark_price: string | null;
  unrealized_pnl: string | null;
}

async function openPositionMarks(db: SqlClient, accountId: number): Promise<PositionMarkRow[]> {
  return db.query<PositionMarkRow>(
    `select ${POSITION_COLUMNS}, mark_price::text as mark_price, unrealized_pnl::text as unrealized_pnl
       from public.positions where account_id = $1 and status = 'open' order by id`,
    [accountId],
  );
}

/** Equal as numbers (numeric's text keeps trailing zeros: 1.50 and 1.5 are the same mark). */
function sameNumber(stored: string | null, value: string): boolean {
  return stored !== null && dec(stored).eq(value);
}
