/** Market data builders shared by tests and benchmarks. */
import type { Candle } from '../../shared/market-data/candle.ts';

/**
 * A gentle uptrend the deterministic analyst reads as an entry: close = 100 + 0.05·i +
 * 0.3·sin(i/2) for bars 0…count-1, each bar opening at the previous close; `at(i)` is bar i's
 * open time.
 */
export function uptrendCandles(count: number, at: (bar: number) => number): Candle[] {
  const close = (i: number) => 100 + 0.05 * i + 0.3 * Math.sin(i / 2);
  return Array.from({ length: count }, (_, i) => {
    const c = close(i);
    const o = close(i - 1);
    return {
      ts: at(i),
      open: o.toFixed(2),
      high: (Math.max(o, c) + 0.1).toFixed(2),
      low: (Math.min(o, c) - 0.1).toFixed(2),
      close: c.toFixed(2),
      volume: '10',
    };
  });
}
