/**
 * Missing bars in a candle series: what a gap-aware ingestion job has to fetch, and nothing else.
 */
import { timeframeToMs } from './timeframe.ts';

/** A run of missing bars: open times from `from` (inclusive) to `to` (exclusive). */
export type Gap = { from: number; to: number; bars: number };

export type GapWindow = {
  /** First open time the series should have (inclusive). Missing bars before the first candle count. */
  from?: number;
  /** End of the wanted window (exclusive). Missing bars after the last candle count. */
  to?: number;
};

/**
 * The missing ranges of a series sorted by `ts` (strictly increasing; otherwise an error names
 * the row). Without a window only gaps between candles are reported. A step that is not a whole
 * number of bars (a misaligned row) counts the bar slots it skips, rounded up.
 */
export function findGaps(
  candles: readonly { ts: number }[],
  timeframe: string,
  window: GapWindow = {},
): Gap[] {
  const step = timeframeToMs(timeframe);
  const gaps: Gap[] = [];
  const push = (from: number, to: number) => {
    const bars = Math.ceil((to - from) / step);
    if (bars > 0) gaps.push({ from, to, bars });
  };

  let expected = window.from;
  candles.forEach((candle, index) => {
    if (index > 0 && candle.ts <= candles[index - 1]!.ts) {
      throw new Error(
        `candle ${index}: open time ${candle.ts} is not after candle ${index - 1} (${candles[index - 1]!.ts}); ` +
          'candles must be sorted oldest first without duplicates',
      );
    }
    if (window.from !== undefined && candle.ts < window.from) return;
    if (window.to !== undefined && candle.ts >= window.to) return;
    if (expected !== undefined && candle.ts > expected) push(expected, candle.ts);
    expected = candle.ts + step;
  });
  if (window.to !== undefined) {
    const start = expected ?? window.from;
    if (start !== undefined && window.to > start) push(start, window.to);
  }
  return gaps;
}

/** Total number of missing bars over a list of gaps. */
export function countMissingBars(gaps: readonly Gap[]): number {
  return gaps.reduce((sum, gap) => sum + gap.bars, 0);
}
