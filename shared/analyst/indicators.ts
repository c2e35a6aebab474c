/**
 * The indicator readings both analysts look at, computed with `trading-signals` over a candle
 * window: the deterministic analyst decides on them, the OpenAI analyst puts them in its prompt
 * so the model does not have to do arithmetic on raw candles.
 *
 * Indicator math runs on binary floats (it is statistics, not money); the levels derived from
 * it are converted to decimal strings and rounded to the market's price precision before they
 * leave the analyst.
 */
import { ATR, BollingerBands, EMA, RSI, SMA } from 'trading-signals';
import type { Candle } from '../market-data/candle.ts';

/** Classic settings, chosen because every trader recognises them, not because they were fitted. */
export const INDICATOR_SETTINGS = {
  rsiPeriod: 14,
  emaFast: 9,
  emaSlow: 21,
  atrPeriod: 14,
  bollingerPeriod: 20,
  bollingerDeviations: 2,
  volumePeriod: 20,
  /** A fast/slow EMA cross this many bars ago or fewer counts as fresh. */
  crossLookback: 3,
} as const;

export type IndicatorSummary = {
  /** Candles the readings were computed from. */
  bars: number;
  lastTs: number;
  lastClose: number;
  /** Close above, below or equal to the open of the last candle. */
  lastCandle: 'up' | 'down' | 'flat';
  rsi: number;
  emaFast: number;
  emaSlow: number;
  /** Bars since the fast EMA last crossed the slow one, when within `crossLookback`. */
  cross: { direction: 'up' | 'down'; barsAgo: number } | null;
  atr: number;
  bollinger: {
    lower: number;
    middle: number;
    upper: number /** 0 at the lower band, 1 at the upper. */;
    percentB: number;
  };
  /** Last candle's volume against the average of the `volumePeriod` candles before it. */
  volume: { last: number; average: number; ratio: number };
};

/** How many candles the readings need: fewer, and some indicator is not yet stable. */
export function requiredCandles(): number {
  const s = INDICATOR_SETTINGS;
  return Math.max(
    new RSI(s.rsiPeriod).getRequiredInputs(),
    // A cross needs the slow EMA stable `crossLookback + 1` bars before the last one.
    new EMA(s.emaSlow).getRequiredInputs() + s.crossLookback + 1,
    new ATR(s.atrPeriod).getRequiredInputs(),
    new BollingerBands(s.bollingerPeriod, s.bollingerDeviations).getRequiredInputs(),
    // The average excludes the last candle, which is compared with it.
    new SMA(s.volumePeriod).getRequiredInputs() + 1,
  );
}

/** The readings at the last candle, or null when there are fewer than `requiredCandles()`. */
export function summariseIndicators(candles: readonly Candle[]): IndicatorSummary | null {
  if (candles.length < requiredCandles()) return null;
  const s = INDICATOR_SETTINGS;
  const rsi = new RSI(s.rsiPeriod);
  const fast = new EMA(s.emaFast);
  const slow = new EMA(s.emaSlow);
  const atr = new ATR(s.atrPeriod);
  const bands = new BollingerBands(s.bollingerPeriod, s.bollingerDeviations);
  const volumeAverage = new SMA(s.volumePeriod);
  // Sign of (fast − slow) on the last `crossLookback + 2` bars, newest last: enough to see a
  // cross up to `crossLookback` bars ago.
  const spreadSigns: number[] = [];

  candles.forEach((candle, index) => {
    const close = Number(candle.close);
    rsi.add(close);
    fast.add(close);
    slow.add(close);
    atr.add({ high: Number(candle.high), low: Number(candle.low), close });
    bands.add(close);
    if (index < candles.length - 1) volumeAverage.add(Number(candle.volume));
    if (fast.isStable && slow.isStable) {
      spreadSigns.push(Math.sign(fast.getResultOrThrow() - slow.getResultOrThrow()));
      if (spreadSigns.length > s.crossLookback + 2) spreadSigns.shift();
    }
  });

  const last = candles[candles.length - 1]!;
  const lastClose = Number(last.close);
  const lastOpen = Number(last.open);
  const band = bands.getResultOrThrow();
  const width = band.upper - band.lower;
  const lastVolume = Number(last.volume);
  const averageVolume = volumeAverage.getResultOrThrow();

  return {
    bars: candles.length,
    lastTs: last.ts,
    lastClose,
    lastCandle: lastClose > lastOpen ? 'up' : lastClose < lastOpen ? 'down' : 'flat',
    rsi: rsi.getResultOrThrow(),
    emaFast: fast.getResultOrThrow(),
    emaSlow: slow.getResultOrThrow(),
    cross: findCross(spreadSigns),
    atr: atr.getResultOrThrow(),
    bollinger: { ...band, percentB: width > 0 ? (lastClose - band.lower) / width : 0.5 },
    volume: {
      last: lastVolume,
      average: averageVolume,
      ratio: averageVolume > 0 ? lastVolume / averageVolume : 0,
    },
  };
}

/** The most recent change of sign in `signs` (newest last); bars where the EMAs touch are skipped. */
function findCross(signs: readonly number[]): IndicatorSummary['cross'] {
  const current = signs[signs.length - 1];
  if (current === undefined || current === 0) return null;
  for (let i = signs.length - 2; i >= 0; i--) {
    if (signs[i] === -current)
      return { direction: current > 0 ? 'up' : 'down', barsAgo: signs.length - 2 - i };
  }
  return null;
}
