/**
 * Filling `public.candles`: from an exchange (the `market_data` job), from an OHLCV JSON file,
 * or from the seeded simulator (the embedded default, which has neither files nor network).
 *
 * Exchange ingestion is gap-aware and idempotent: it reads which bars the table already has in
 * the wanted window, asks the exchange only for the missing ranges (page by page, at most the
 * exchange's page limit per request), and upserts. Running it twice fetches nothing the second
 * time. The candle still forming at `now` is never stored: its high, low, close and volume are
 * not final, and a stored candle is treated as final by everything downstream.
 */

import type { SqlQueryable } from '../db/sql.ts';
import type { Exchange } from '../exchange/port.ts';
import { toDecimalString } from '../money/decimal.ts';
import type { Candle } from './candle.ts';
import { type CandleSeries, candleTimes, upsertCandles } from './candle-store.ts';
import { countMissingBars, findGaps, type Gap } from './gaps.ts';
import { describeOhlcvFileName, parseOhlcvJson } from './ohlcv-file.ts';
import { type MarketSimulatorOptions, simulateMarket } from './simulator.ts';
import { bucketStart, timeframeToMs } from './timeframe.ts';

/** What ingestion needs from an exchange: its OHLCV endpoint (ccxt's `fetchOHLCV`). */
export type OhlcvSource = Pick<Exchange, 'id' | 'ohlcv'>;

export interface IngestCandlesOptions {
  /** `public.candles.exchange`, e.g. `binance`. */
  exchangeId: string;
  symbol: string;
  timeframe: string;
  /** Start of the wanted window (ms, inclusive); rounded up to a bar boundary. */
  since: number;
  /** End of the wanted window (ms, exclusive); default `now`. Never later than the open bar. */
  until?: number;
  /** The current time: bars that have not closed by `now` are not stored. */
  now: number;
  /** Candles per request; default 1000 (Binance's maximum for klines). */
  pageLimit?: number;
  /** Safety stop against an exchange that keeps answering the same page. Default 1000. */
  maxRequests?: number;
}

export interface IngestCandlesResult {
  /** The window that was examined, [from, to). */
  from: number;
  to: number;
  /** Missing ranges found before fetching. */
  gaps: Gap[];
  missingBefore: number;
  /** Requests made to the exchange. */
  requests: number;
  /** Candles the exchange returned in the missing ranges, all closed. */
  fetched: number;
  /** Rows inserted or changed. */
  stored: number;
  /** Candles the exchange returned that were still open at `now` (not stored). */
  skippedOpen: number;
  /** Bars still missing afterwards (the exchange has no data for them). */
  missingAfter: number;
}

export async function ingestCandles(
  db: SqlQueryable,
  exchange: OhlcvSource,
  options: IngestCandlesOptions,
): Promise<IngestCandlesResult> {
  const step = timeframeToMs(options.timeframe);
  const pageLimit = options.pageLimit ?? 1000;
  const maxRequests = options.maxRequests ?? 1000;
  if (!Number.isSafeInteger(pageLimit) || pageLimit < 1)
    throw new Error('pageLimit must be a whole number ≥ 1');
  const series: CandleSeries = {
    exchangeId: options.exchangeId,
    symbol: options.symbol,
    timeframe: options.timeframe,
  };
  const from = alignUp(options.since, options.timeframe);
  // The bar containing `now` is still forming: the window ends at its open time at the latest.
  const openBar = bucketStart(options.now, options.timeframe);
  const to = Math.min(options.until ?? options.now, openBar);
  const result: IngestCandlesResult = {
    from,
    to,
    gaps: [],
    missingBefore: 0,
    requests: 0,
    fetched: 0,
    stored: 0,
    skippedOpen: 0,
    missingAfter: 0,
  };
  if (to <= from) return result;

  const have = await candleTimes(db, series, from, to);
  result.gaps = findGaps(
    have.map((ts) => ({ ts })),
    options.timeframe,
    { from, to },
  );
  result.missingBefore = countMissingBars(result.gaps);

  for (const gap of result.gaps) {
    let cursor = gap.from;
    while (cursor < gap.to) {
      if (result.requests >= maxRequests) {
        throw new Error(
          `ingestCandles ${options.exchangeId} ${options.symbol} ${options.timeframe}: stopped after ${maxRequests} requests`,
        );
      }
      const limit = Math.min(pageLimit, Math.ceil((gap.to - cursor) / step));
      const page = await exchange.ohlcv(options.symbol, options.timeframe, cursor, limit);
      result.requests += 1;
      const wanted: Candle[] = [];
      let newest = -Infinity;
      for (const row of page) {
        newest = Math.max(newest, row.ts);
        if (row.ts < gap.from || row.ts >= gap.to) continue;
        if (row.ts + step > options.now) {
          result.skippedOpen += 1;
          continue;
        }
        wanted.push(toCandle(row));
      }
      result.fetched += wanted.length;
      result.stored += await upsertCandles(db, series, wanted);
      // An empty page, or one that does not move forward, means the exchange has nothing more
      // for this range (a real hole in its history): stop rather than ask again.
      // A short page means the exchange returned everything it has from `cursor` on.
      if (page.length === 0 || newest < cursor) break;
      cursor = newest + step;
      if (page.length < limit) break;
    }
  }

  const after = await candleTimes(db, series, from, to);
  result.missingAfter = countMissingBars(
    findGaps(
      after.map((ts) => ({ ts })),
      options.timeframe,
      { from, to },
    ),
  );
  return result;
}

export interface LoadOhlcvFileOptions {
  exchangeId: string;
  /** Default: read from `fileName` (`ETH_BTC-5m.json` → `ETH/BTC`). */
  symbol?: string;
  /** Default: read from `fileName`, else inferred from the rows. */
  timeframe?: string;
  fileName?: string;
}

export interface LoadOhlcvFileResult {
  symbol: string;
  timeframe: string;
  candles: number;
  stored: number;
  /** Bars missing inside the file (real feeds have holes; they are reported, not invented). */
  missingBars: number;
}

/** Loads an OHLCV JSON file (`[ts, o, h, l, c, v]` rows) into `public.candles`. Idempotent. */
export async function loadOhlcvFileIntoCandles(
  db: SqlQueryable,
  text: string,
  options: LoadOhlcvFileOptions,
): Promise<LoadOhlcvFileResult> {
  const named = options.fileName === undefined ? undefined : describeOhlcvFileName(options.fileName);
  const symbol = options.symbol ?? named?.symbol;
  if (symbol === undefined) {
    throw new Error(
      'loadOhlcvFileIntoCandles needs a symbol: pass { symbol } or { fileName } such as ETH_BTC-5m.json',
    );
  }
  const timeframe = options.timeframe ?? named?.timeframe;
  const series = parseOhlcvJson(text, timeframe === undefined ? { symbol } : { symbol, timeframe });
  const stored = await upsertCandles(
    db,
    { exchangeId: options.exchangeId, symbol, timeframe: series.timeframe },
    series.candles,
  );
  return {
    symbol,
    timeframe: series.timeframe,
    candles: series.candles.length,
    stored,
    missingBars: series.missingBars,
  };
}

export type SeedSimulatedCandlesOptions = Omit<MarketSimulatorOptions, 'symbol' | 'timeframe' | 'start'> & {
  /** Default `paper`: the feed the paper exchange trades on. */
  exchangeId?: string;
  /** Default `BTC/USDT`. */
  symbol?: string;
  /** Default `1m`. */
  timeframe?: string;
  /** Number of closed candles to write. */
  count: number;
  /**
   * The current time: the last candle written is the last one closed by then (so the series
   * ends where a live feed would). Its open time is `bucketStart(now) - timeframe`.
   */
  now: number;
};

/**
 * Writes `count` simulated candles ending at `now` (deterministic for a seed), so the embedded
 * default has a market to trade on without files or network. Idempotent for the same options.
 */
export async function seedSimulatedCandles(
  db: SqlQueryable,
  options: SeedSimulatedCandlesOptions,
): Promise<{ exchangeId: string; symbol: string; timeframe: string; stored: number; candles: Candle[] }> {
  const { exchangeId = 'paper', symbol = 'BTC/USDT', timeframe = '1m', count, now, ...simulation } = options;
  const step = timeframeToMs(timeframe);
  const start = bucketStart(now, timeframe) - count * step;
  const candles = simulateMarket({ ...simulation, symbol, timeframe, start, count });
  const stored = await upsertCandles(db, { exchangeId, symbol, timeframe }, candles);
  return { exchangeId, symbol, timeframe, stored, candles };
}

function alignUp(ts: number, timeframe: string): number {
  const start = bucketStart(ts, timeframe);
  return start === ts ? ts : start + timeframeToMs(timeframe);
}

function toCandle(row: Candle): Candle {
  return {
    ts: row.ts,
    open: toDecimalString(row.open),
    high: toDecimalString(row.high),
    low: toDecimalString(row.low),
    close: toDecimalString(row.close),
    volume: toDecimalString(row.volume),
  };
}
