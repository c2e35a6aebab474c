/**
 * The worker's clock during a local replay. At 60× or "max" speed the replayed market runs far
 * ahead of the wall clock; the local stack sends the market's time with every request to the
 * worker (`x-tradeflow-market-time`, ms since the epoch) so that the worker sees the market as
 * live rather than candles from its future. The worker reads the header itself and hands this
 * clock to the pipeline and the drain loop as their `now` — an explicit time source, nothing
 * global is patched, and code that wants the real time (timeouts, signing) still has `Date`.
 *
 * Between requests the clock keeps flowing at the wall clock's pace from the last market time
 * it was given. It never goes backwards: a header behind the clock (the market stands still at
 * "max" speed while the worker drains) and a wall clock stepped back are ignored. A header that
 * is not a plain positive whole number of milliseconds is ignored too.
 *
 * Pure and runtime-agnostic (Deno, Node): the wall clock is injected.
 */

/** The header that carries the market's time (ms since the epoch) to the worker. */
export const MARKET_TIME_HEADER = 'x-tradeflow-market-time';

/** The latest instant a JavaScript Date can hold (ms since the epoch). */
const MAX_TIME_MS = 8.64e15;

export interface MarketClock {
  /** Milliseconds since the epoch on the market's clock. */
  now: () => number;
  /**
   * Moves the clock forward to `marketTime` (a header's value, or a number). Garbage, and a
   * time that is not ahead of the clock, leave it as it is. Returns whether it moved.
   */
  advance: (marketTime: string | number | null | undefined) => boolean;
}

export function createMarketClock(wallClock: () => number = Date.now): MarketClock {
  let offset = 0;
  let latest = Number.NEGATIVE_INFINITY;
  const now = () => {
    latest = Math.max(latest, wallClock() + offset);
    return latest;
  };
  return {
    now,
    advance(value) {
      const marketTime = parseMarketTime(value);
      if (marketTime === undefined || marketTime <= now()) return false;
      offset = marketTime - wallClock();
      latest = marketTime;
      return true;
    },
  };
}

/** A market time from a header or a number: a positive whole number of ms a Date can hold. */
export function parseMarketTime(value: string | number | null | undefined): number | undefined {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && /^[0-9]{1,16}$/.test(value)) ms = Number(value);
  else return undefined;
  return Number.isSafeInteger(ms) && ms > 0 && ms <= MAX_TIME_MS ? ms : undefined;
}
