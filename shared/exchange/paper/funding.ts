/**
 * Funding a paper account (seeds, tests, a reset run by the system): adds amounts to its free
 * balances through `public.fund_paper_account`, which refuses non-paper accounts.
 */
import type { SqlQueryable } from '../../db/sql.ts';
import { type DecimalLike, dec, toDecimalString } from '../../money/decimal.ts';
import type { BalanceLine } from '../port.ts';

/** What a new paper account starts with when nothing else is said. */
export const DEFAULT_PAPER_FUNDING: Readonly<Record<string, string>> = { USDT: '10000' };

export async function fundPaperAccount(
  db: SqlQueryable,
  accountId: number,
  amounts: Record<string, DecimalLike> = DEFAULT_PAPER_FUNDING,
): Promise<BalanceLine[]> {
  const payload: Record<string, string> = {};
  for (const [asset, amount] of Object.entries(amounts)) payload[asset] = toDecimalString(amount);
  const rows = await db.query<{ asset: string; free: string; locked: string }>(
    `select asset, free::text as free, locked::text as locked
       from public.fund_paper_account($1::bigint, $2::jsonb)`,
    [accountId, payload],
  );
  return rows.map((row) => ({
    asset: row.asset,
    free: toDecimalString(row.free),
    used: toDecimalString(row.locked),
    total: toDecimalString(dec(row.free).plus(row.locked)),
  }));
}
