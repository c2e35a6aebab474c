/**
 * market_data {} (cron): fills public.candles for the symbols in use — every trader's allowed
 * symbols and every live signal's symbol — from each venue that has a testnet or live account,
 * at 1m (what prices and the monitor read) and at each live signal's own timeframe (what the
 * analyst reads). Ingestion is gap-aware and idempotent (shared/market-data/ingest.ts), so a
 * run fetches only what is missing. Paper accounts need nothing here: the paper venue trades on
 * its own feed, which the local stack's replay (or the simulator) writes.
 */
import type { SqlClient } from '../db/sql.ts';
import { ingestCandles } from '../market-data/ingest.ts';
import type { Pipeline } from './deps.ts';

export interface MarketDataReport {
  series: number;
  stored: number;
  failures: string[];
}

export async function ingestMarketData(pipeline: Pipeline, db: SqlClient): Promise<MarketDataReport> {
  const now = pipeline.now();
  const wanted = await db.query<{
    exchange: string;
    account_id: number;
    symbol: string;
    timeframes: string[];
  }>(
    `with venues as (
       select distinct on (a.exchange) a.exchange, a.id as account_id
         from public.exchange_accounts a
        where a.mode <> 'paper' and a.status = 'active'
        order by a.exchange, a.id),
     used as (
       select a.exchange, unnest(t.allowed_symbols) as symbol, '1m'::text as timeframe
         from public.traders t join public.exchange_accounts a on a.id = t.account_id
       union
       select a.exchange, s.symbol, tf.timeframe
         from public.signals s
         join public.traders t on t.id = s.trader_id
         join public.exchange_accounts a on a.id = t.account_id
         cross join lateral (values ('1m'::text), (s.timeframe)) tf(timeframe)
        where s.status in ('new', 'analyzing', 'monitoring', 'ready', 'in_position'))
     select v.exchange, v.account_id, u.symbol, array_agg(distinct u.timeframe order by u.timeframe) as timeframes
       from used u join venues v on v.exchange = u.exchange
      group by v.exchange, v.account_id, u.symbol
      order by v.exchange, u.symbol`,
  );
  const report: MarketDataReport = { series: 0, stored: 0, failures: [] };
  for (const row of wanted) {
    const exchange = await pipeline.exchangeFor(db, row.account_id);
    for (const timeframe of row.timeframes) {
      try {
        const result = await ingestCandles(db, exchange, {
          exchangeId: row.exchange,
          symbol: row.symbol,
          timeframe,
          since: now - pipeline.settings.marketDataLookbackMs,
          now,
        });
        report.series += 1;
        report.stored += result.stored;
      } catch (error) {
        report.failures.push(`${row.exchange} ${row.symbol} ${timeframe}: ${String(error)}`);
      }
    }
  }
  return report;
}
