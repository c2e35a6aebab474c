/**
 * The demo session's owner: the seeded demo user, its paper account and its AI trader
 * (supabase/seed.sql), configured for the market being replayed — the trader may trade exactly
 * the replayed symbols, and the account holds each quote currency they need.
 */

import type { SqlClient } from '../../shared/db/sql.ts';
import { fundPaperAccount } from '../../shared/exchange/paper/funding.ts';

export const DEMO_USER_ID = '00000000-0000-4000-8000-000000000001';
export const DEMO_TRADER_NAME = 'Demo AI trader';

/** What a quote currency is funded with when the demo account holds none of it. */
const FUNDING: Record<string, string> = { USDT: '10000', USDC: '10000', BTC: '0.5', ETH: '5', BNB: '20' };
const DEFAULT_FUNDING = '10000';

export interface DemoSetup {
  userId: string;
  accountId: number;
  traderId: number;
}

export async function prepareDemo(db: SqlClient, symbols: string[]): Promise<DemoSetup> {
  const [account] = await db.query<{ id: number }>(
    `select id from public.exchange_accounts where owner = $1 and mode = 'paper' order by id limit 1`,
    [DEMO_USER_ID],
  );
  if (!account) throw new Error('the seed did not create the demo paper account (supabase/seed.sql)');
  // A percentage of equity sizes sensibly in any quote currency (a fixed 100 would be 100 BTC
  // on a BTC-quoted market); one position per symbol at most is the trader's limit.
  const [trader] = await db.query<{ id: number }>(
    `update public.traders
        set allowed_symbols = $3::text[], account_id = $2, sizing_rule = 'percent_equity',
            sizing_value = 10, max_positions = greatest(3, cardinality($3::text[])),
            auto_execute = true, halted_until = null, halt_reason = null
      where owner = $1 and name = $4
      returning id`,
    [DEMO_USER_ID, account.id, symbols, DEMO_TRADER_NAME],
  );
  if (!trader) throw new Error(`the seed did not create the trader "${DEMO_TRADER_NAME}"`);

  const quotes = [...new Set(symbols.map((symbol) => symbol.split('/')[1]!))];
  const held = await db.query<{ asset: string }>(
    `select asset from public.paper_balances where account_id = $1 and free + locked > 0`,
    [account.id],
  );
  const missing = quotes.filter((quote) => !held.some((row) => row.asset === quote));
  if (missing.length > 0) {
    await fundPaperAccount(
      db,
      account.id,
      Object.fromEntries(missing.map((quote) => [quote, FUNDING[quote] ?? DEFAULT_FUNDING])),
    );
  }
  return { userId: DEMO_USER_ID, accountId: account.id, traderId: trader.id };
}
