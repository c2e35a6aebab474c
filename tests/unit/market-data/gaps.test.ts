import { describe, expect, it } from 'vitest';
import { countMissingBars, findGaps, parseOhlcvJson } from '../../../shared/market-data/index.ts';
import { readSharedOhlcv } from '../../support/shared-data.ts';

const M = 60_000;
const at = (...minutes: number[]) => minutes.map((m) => ({ ts: m * M }));

describe('findGaps', () => {
  it('finds nothing in a continuous series', () => {
    expect(findGaps(at(0, 1, 2, 3), '1m')).toEqual([]);
  });

  it('reports each run of missing bars with its start, exclusive end and size', () => {
    expect(findGaps(at(0, 1, 4, 5, 7), '1m')).toEqual([
      { from: 2 * M, to: 4 * M, bars: 2 },
      { from: 6 * M, to: 7 * M, bars: 1 },
    ]);
  });

  it('counts missing bars before and after the data inside a wanted window', () => {
    expect(findGaps(at(3, 4, 6), '1m', { from: 0, to: 10 * M })).toEqual([
      { from: 0, to: 3 * M, bars: 3 },
      { from: 5 * M, to: 6 * M, bars: 1 },
      { from: 7 * M, to: 10 * M, bars: 3 },
    ]);
  });

  it('treats an empty series as one gap over the whole window, so ingestion fetches it all', () => {
    expect(findGaps([], '5m', { from: 0, to: 60 * M })).toEqual([{ from: 0, to: 60 * M, bars: 12 }]);
    expect(findGaps([], '5m')).toEqual([]);
  });

  it('ignores candles outside the window', () => {
    expect(findGaps(at(0, 5, 6, 7, 20), '1m', { from: 5 * M, to: 8 * M })).toEqual([]);
  });

  it('refuses unsorted or duplicated candles, naming the row', () => {
    expect(() => findGaps(at(0, 2, 1), '1m')).toThrow('candle 2: open time 60000 is not after candle 1');
    expect(() => findGaps(at(0, 1, 1), '1m')).toThrow('candle 2');
  });

  it('finds the 538 gaps (717 missing bars) of UNITTEST_BTC-1m.json', () => {
    const { candles } = parseOhlcvJson(readSharedOhlcv('UNITTEST_BTC-1m.json'), { timeframe: '1m' });
    const gaps = findGaps(candles, '1m');
    expect(gaps).toHaveLength(538);
    expect(countMissingBars(gaps)).toBe(717);
    expect(Math.max(...gaps.map((gap) => gap.bars))).toBe(7);
    // Present plus missing bars cover the whole span exactly.
    const span = (candles.at(-1)!.ts - candles[0]!.ts) / M + 1;
    expect(candles.length + countMissingBars(gaps)).toBe(span);
  });
});
