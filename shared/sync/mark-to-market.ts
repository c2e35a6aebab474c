/**
 * Mark to market: each open position's mark price and unrealised P&L at the given prices.
 * A position whose figures would not change is not written (repeating a mark changes nothing).
 */
import type { SqlClient } from '../db/sql.ts';
import { unrealizedPnl } from '../positions/ledger.ts';
import { openPositions, stateOf } from './position-rows.ts';
import { syncTransaction } from './transaction.ts';

export interface MarkedPosition {
  positionId: number;
  symbol: string;
  markPrice: string;
  unrealizedPnl: string;
}

/** `prices`: last price per symbol; positions on other symbols are left alone. */
export async function markToMarket(
  db: SqlClient,
  accountId: number,
  prices: Readonly<Record<string, string>>,
): Promise<MarkedPosition[]> {
  const marked: MarkedPosition[] = [];
  for (const row of await openPositions(db, accountId)) {
    const price = prices[row.symbol];
    if (price === undefined) continue;
    const pnl = unrealizedPnl(stateOf(row), price).toFixed();
    const updated = await syncTransaction(db, { position_id: row.id }, (tx) =>
      tx.query(
        `update public.positions set mark_price = $2, unrealized_pnl = $3
          where id = $1 and status = 'open'
            and (mark_price is distinct from $2::numeric or unrealized_pnl is distinct from $3::numeric)
          returning id`,
        [row.id, price, pnl],
      ),
    );
    if (updated.length > 0)
      marked.push({ positionId: row.id, symbol: row.symbol, markPrice: price, unrealizedPnl: pnl });
  }
  return marked;
}
