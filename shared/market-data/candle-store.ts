/**
 * Reading and writing `public.candles`, the one market-data table every part of the system
 * (ingestion, the paper exchange, analysis, backtests) shares.
 *
 * Times cross the boundary as epoch milliseconds and are converted in SQL
 * (`'epoch' + ms * 1 ms`, `extract(epoch …) * 1000`), so no driver's Date handling is involved;
 * prices and volume stay decimal strings end to end.
 */
import type { SqlQueryable } from '../db/sql.ts';
import type { Candle } from './candle.ts';

/** Which series: one market of one exchange at one timeframe. */
export type CandleSeries = { exchangeId: string; symbol: string; timeframe: string };

/** Rows per upsert statement: large enough to be fast, small enough for any driver's limits. */
const BATCH = 2_000;

const SELECT_CANDLE = `(extract(epoch from ts) * 1000)::bigint as ts, open::text as open, high::text as high,
  low::text as low, close::text as close, volume::text as volume`;

/**
 * Inserts or updates candles (idempotent: writing the same candles twice changes nothing the
 * second time). Returns how many rows were inserted or actually changed.
 */
export async function upsertCandles(
  db: SqlQueryable,
  series: CandleSeries,
  candles: readonly Candle[],
): Promise<number> {
  let written = 0;
  for (let start = 0; start < candles.length; start += BATCH) {
    const rows = candles.slice(start, start + BATCH).map((c) => ({
      ts: c.ts,
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
      volume: c.volume,
    }));
    const result = await db.query<{ n: number }>(
      `with written as (
         insert into public.candles as c (exchange, symbol, timeframe, ts, open, high, low, close, volume)
         select $1, $2, $3, timestamptz 'epoch' + r.ts * interval '1 millisecond',
                r.open, r.high, r.low, r.close, r.volume
           from jsonb_to_recordset($4::jsonb)
                  as r(ts bigint, open numeric, high numeric, low numeric, close numeric, volume numeric)
         on conflict (exchange, symbol, timeframe, ts) do update
           set open = excluded.open, high = excluded.high, low = excluded.low,
               close = excluded.close, volume = excluded.volume
           where (c.open, c.high, c.low, c.close, c.volume)
                 is distinct from (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)
         returning 1)
       select count(*)::int as n from written`,
      [series.exchangeId, series.symbol, series.timeframe, rows],
    );
    written += result[0]?.n ?? 0;
  }
  return written;
}

/** Candles of a series with open time in [from, to), oldest first (at most `limit`). */
export async function readCandles(
  db: SqlQueryable,
  series: CandleSeries,
  range: { from?: number; to?: number; limit?: number } = {},
): Promise<Candle[]> {
  return db.query<Candle>(
    `select ${SELECT_CANDLE}
       from public.candles
      where exchange = $1 and symbol = $2 and timeframe = $3
        and ($4::bigint is null or ts >= timestamptz 'epoch' + $4::bigint * interval '1 millisecond')
        and ($5::bigint is null or ts < timestamptz 'epoch' + $5::bigint * interval '1 millisecond')
      order by ts
      limit $6::bigint`,
    [
      series.exchangeId,
      series.symbol,
      series.timeframe,
      range.from ?? null,
      range.to ?? null,
      range.limit ?? null,
    ],
  );
}

/** The newest `count` candles of a series, oldest first. */
export async function latestCandles(
  db: SqlQueryable,
  series: CandleSeries,
  count: number,
): Promise<Candle[]> {
  const rows = await db.query<Candle>(
    `select ${SELECT_CANDLE}
       from public.candles
      where exchange = $1 and symbol = $2 and timeframe = $3
      order by ts desc
      limit $4::bigint`,
    [series.exchangeId, series.symbol, series.timeframe, count],
  );
  return rows.reverse();
}

/** The newest candle of a series, or undefined when there is none. */
export async function latestCandle(db: SqlQueryable, series: CandleSeries): Promise<Candle | undefined> {
  return (await latestCandles(db, series, 1))[0];
}

/** Open times (ms) of the stored candles of a series in [from, to), oldest first. */
export async function candleTimes(
  db: SqlQueryable,
  series: CandleSeries,
  from: number,
  to: number,
): Promise<number[]> {
  const rows = await db.query<{ ts: number }>(
    `select (extract(epoch from ts) * 1000)::bigint as ts
       from public.candles
      where exchange = $1 and symbol = $2 and timeframe = $3
        and ts >= timestamptz 'epoch' + $4::bigint * interval '1 millisecond'
        and ts < timestamptz 'epoch' + $5::bigint * interval '1 millisecond'
      order by ts`,
    [series.exchangeId, series.symbol, series.timeframe, from, to],
  );
  return rows.map((row) => row.ts);
}

/** Symbols that have candles on an exchange at a timeframe, sorted. */
export async function candleSymbols(
  db: SqlQueryable,
  exchangeId: string,
  timeframe: string,
): Promise<string[]> {
  const rows = await db.query<{ symbol: string }>(
    `select distinct symbol from public.candles where exchange = $1 and timeframe = $2 order by symbol`,
    [exchangeId, timeframe],
  );
  return rows.map((row) => row.symbol);
}
