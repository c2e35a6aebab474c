/**
 * Aggregation of candles into a coarser timeframe: open of the first bar, highest high, lowest
 * low, close of the last bar, summed volume, per UTC bucket (see `timeframe.ts` for the
 * boundaries). The database's retention roll-up (1m → 1h) computes the same thing in SQL, and
 * the tests compare the two.
 */
import { dec, toDecimalString } from '../money/decimal.ts';
import type { Candle } from './candle.ts';
import { bucketStart, isOnBoundary, parseTimeframe } from './timeframe.ts';

export type RolledCandle = Candle & {
  /** How many source candles went into this one. */
  bars: number;
  /** False when source bars are missing: a bucket still forming, or one with gaps in the data. */
  complete: boolean;
};

export type RollUpOptions = {
  /**
   * What to do with buckets that lack source bars:
   * - `keep` (default): return them with `complete: false`;
   * - `drop-last`: drop the last bucket if it is incomplete (the bar still forming), keep the others;
   * - `drop`: return complete buckets only.
   */
  incomplete?: 'keep' | 'drop-last' | 'drop';
  /**
   * Bars without trades (volume 0; feeds fill them with the previous close):
   * - `include` (default): they count like any bar, the plain aggregate the SQL mirrors;
   * - `ignore`: open, high, low and close come from traded bars only, unless the bucket has
   *   none. This is how an exchange builds its own coarser candles: rolled this way,
   *   `XRP_ETH-1m.json` reproduces every traded bar of `XRP_ETH-5m.json` exactly.
   */
  emptyBars?: 'include' | 'ignore';
};

export function rollUp(
  candles: readonly Candle[],
  fromTimeframe: string,
  toTimeframe: string,
  options: RollUpOptions = {},
): RolledCandle[] {
  const from = parseTimeframe(fromTimeframe);
  const to = parseTimeframe(toTimeframe);
  if (to.ms < from.ms || to.ms % from.ms !== 0) {
    throw new Error(
      `cannot roll ${fromTimeframe} candles up into ${toTimeframe}: ${toTimeframe} is not a multiple`,
    );
  }
  const barsPerBucket = to.ms / from.ms;
  const ignoreEmpty = options.emptyBars === 'ignore';

  const buckets: { ts: number; candles: Candle[] }[] = [];
  candles.forEach((candle, index) => {
    if (index > 0 && candle.ts <= candles[index - 1]!.ts) {
      throw new Error(
        `candle ${index}: open time ${candle.ts} is not after the previous one; sort oldest first`,
      );
    }
    if (!isOnBoundary(candle.ts, fromTimeframe)) {
      // A misaligned bar could straddle two buckets; there is no right answer, so refuse.
      throw new Error(`candle ${index}: open time ${candle.ts} is not on a ${fromTimeframe} boundary`);
    }
    const ts = bucketStart(candle.ts, toTimeframe);
    const last = buckets[buckets.length - 1];
    if (last?.ts === ts) last.candles.push(candle);
    else buckets.push({ ts, candles: [candle] });
  });

  const rolled = buckets.map(({ ts, candles: members }): RolledCandle => {
    const traded = ignoreEmpty ? members.filter((candle) => !dec(candle.volume).isZero()) : members;
    const priced = traded.length > 0 ? traded : members;
    let high = priced[0]!.high;
    let low = priced[0]!.low;
    for (const candle of priced) {
      if (dec(candle.high).gt(high)) high = candle.high;
      if (dec(candle.low).lt(low)) low = candle.low;
    }
    return {
      ts,
      open: priced[0]!.open,
      high,
      low,
      close: priced[priced.length - 1]!.close,
      volume: toDecimalString(members.reduce((sum, candle) => sum.plus(candle.volume), dec(0))),
      bars: members.length,
      complete: members.length === barsPerBucket,
    };
  });

  const mode = options.incomplete ?? 'keep';
  if (mode === 'drop') return rolled.filter((candle) => candle.complete);
  if (mode === 'drop-last' && rolled.length > 0 && !rolled[rolled.length - 1]!.complete) rolled.pop();
  return rolled;
}
