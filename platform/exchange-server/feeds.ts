/**
 * Builds the replay feeds the server starts with: candles given in-process (tests), OHLCV files
 * (`--data`), or, when neither is given, seeded random walks for a few familiar markets.
 */

import type { Candle } from '../../shared/exchange/matching/types.ts';
import { type DecimalLike, dec } from '../../shared/money/decimal.ts';
import { intervalMs } from './intervals.ts';
import { type MarketFilters, marketSpec } from './market-spec.ts';
import { randomWalk } from './random-walk.ts';
import { ReplayFeed, readOhlcvFile } from './replay.ts';

/** A candle as a test writes it: `[openTime, open, high, low, close, volume]`. */
export type CandleRow = [number, DecimalLike, DecimalLike, DecimalLike, DecimalLike, DecimalLike];

export interface FeedSpec {
  /** Unified symbol, e.g. `BTC/USDT`. */
  symbol: string;
  /** Binance interval name, e.g. `1m`. */
  interval: string;
  candles: (Candle | CandleRow)[];
  /** Index of the candle that is current at start. Default 0 (the first). */
  startIndex?: number;
  /** Exchange filters; anything not given is Binance's value for the pair or derived from its price. */
  filters?: MarketFilters;
}

function toCandle(row: Candle | CandleRow): Candle {
  if (!Array.isArray(row)) return row;
  const [openTime, open, high, low, close, volume] = row;
  return {
    openTime,
    open: dec(open),
    high: dec(high),
    low: dec(low),
    close: dec(close),
    volume: dec(volume),
  };
}

function splitSymbol(symbol: string): [string, string] {
  const [base, quote] = symbol.split('/');
  if (!base || !quote) throw new Error(`symbol must look like BASE/QUOTE, got ${symbol}`);
  return [base.toUpperCase(), quote.toUpperCase()];
}

function requireInterval(interval: string): number {
  const ms = intervalMs(interval);
  if (ms === undefined) throw new Error(`unsupported interval ${interval}`);
  return ms;
}

export function feedFromSpec(spec: FeedSpec): ReplayFeed {
  const [base, quote] = splitSymbol(spec.symbol);
  const candles = spec.candles.map(toCandle);
  if (candles.length === 0) throw new Error(`feed ${spec.symbol} has no candles`);
  const market = marketSpec(base, quote, candles[0]!.close, spec.filters);
  return new ReplayFeed(market, requireInterval(spec.interval), candles, spec.startIndex ?? 0);
}

/**
 * A feed replaying an OHLCV file. The replay starts `history` candles in (default 500), so that
 * klines and the 24 h ticker have a past to show.
 */
export async function feedFromFile(path: string, history = 500): Promise<ReplayFeed> {
  const { name, candles } = await readOhlcvFile(path);
  if (candles.length === 0) throw new Error(`${path} has no candles`);
  const market = marketSpec(name.base, name.quote, candles[Math.min(history, candles.length - 1)]!.close);
  return new ReplayFeed(market, requireInterval(name.interval), candles, history - 1);
}

/** The markets a server without data files trades, with their opening prices. */
const BUILT_IN = [
  { symbol: 'BTC/USDT', price: 30_000 },
  { symbol: 'ETH/USDT', price: 2_000 },
  { symbol: 'ETH/BTC', price: 0.065 },
];

export interface GeneratedFeedOptions {
  seed?: number;
  /** Open time of the first generated candle. Default 2024-01-01T00:00:00Z, for reproducible runs. */
  startTime?: number;
  interval?: string;
  /** Candles generated before the replay starts. Default 500. */
  history?: number;
}

/** Seeded random-walk feeds for BTC/USDT, ETH/USDT and ETH/BTC (1 m candles unless told). */
export function generatedFeeds(options: GeneratedFeedOptions = {}): ReplayFeed[] {
  const interval = requireInterval(options.interval ?? '1m');
  const history = Math.max(1, options.history ?? 500);
  const startTime = options.startTime ?? Date.UTC(2024, 0, 1);
  return BUILT_IN.map(({ symbol, price }, i) => {
    const [base, quote] = splitSymbol(symbol);
    const market = marketSpec(base, quote, price);
    const next = randomWalk({
      market,
      startPrice: price,
      startTime,
      intervalMs: interval,
      seed: (options.seed ?? 42) + i,
    });
    const candles = Array.from({ length: history }, () => next());
    return new ReplayFeed(market, interval, candles, history - 1, next);
  });
}
