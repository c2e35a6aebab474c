/**
 * A small seeded random walk of candles, so the server has prices when no data file is given.
 * The same seed always gives the same candles. Prices are simulated with floats and then snapped
 * to the market's tick as decimals; they are synthetic quotes, not money the engine accounts for.
 * (A realistic market simulator lives in `shared/market-data/`; this is only a fallback.)
 */

import type { Candle, MarketSpec } from '../../shared/exchange/matching/types.ts';
import { dec, roundPriceToTick } from '../../shared/money/decimal.ts';

/** mulberry32: a tiny, well-distributed 32-bit PRNG. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface RandomWalkOptions {
  market: MarketSpec;
  startPrice: number;
  startTime: number;
  intervalMs: number;
  seed: number;
  /** Standard deviation of one candle's log return. Default 0.002 (0.2 %). */
  volatility?: number;
}

/** Returns a function that yields the next candle each time it is called. */
export function randomWalk(options: RandomWalkOptions): () => Candle {
  const random = prng(options.seed);
  const vol = options.volatility ?? 0.002;
  const tick = options.market.tickSize;
  const snap = (price: number) => {
    const snapped = roundPriceToTick(price.toPrecision(12), tick);
    return snapped.gt(0) ? snapped : tick;
  };
  let close = options.startPrice;
  let openTime = options.startTime;
  return () => {
    const open = close;
    // Sum of uniforms: a cheap, bounded stand-in for a normal draw.
    const shock = (random() + random() + random() - 1.5) * 2 * vol;
    close = open * Math.exp(shock);
    const high = Math.max(open, close) * (1 + random() * vol);
    const low = Math.min(open, close) * (1 - random() * vol);
    const candle: Candle = {
      openTime,
      open: snap(open),
      high: snap(high),
      low: snap(low),
      close: snap(close),
      volume: dec((10 + random() * 90).toFixed(4)),
    };
    openTime += options.intervalMs;
    return candle;
  };
}
