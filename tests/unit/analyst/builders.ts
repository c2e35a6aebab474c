/**
 * Small builders for analyst tests: candles along a scripted close path, and signals.
 */
import type { SignalToAnalyse } from '../../../shared/analyst/port.ts';
import type { Candle } from '../../../shared/market-data/candle.ts';

export const T0 = Date.UTC(2024, 0, 1);
export const FIVE_MINUTES = 300_000;

/** 5-minute candles that open at the previous close, with half-unit wicks and a constant volume. */
export function candlesAlong(closes: number[], volume: (i: number) => number = () => 10): Candle[] {
  let previous = closes[0]!;
  return closes.map((close, i) => {
    const open = previous;
    previous = close;
    return {
      ts: T0 + i * FIVE_MINUTES,
      open: String(open),
      high: String(Math.max(open, close) + 0.5),
      low: String(Math.min(open, close) - 0.5),
      close: String(close),
      volume: String(volume(i)),
    };
  });
}

/** A steady climb with pullbacks: up 3, down 1, … — trend and momentum both bullish but not stretched. */
export function risingZigZag(bars = 60): Candle[] {
  return candlesAlong(Array.from({ length: bars }, (_, i) => 100 + Math.floor(i / 2) + (i % 2) * 2));
}

/** The mirror image: a steady decline with bounces. */
export function fallingZigZag(bars = 60): Candle[] {
  return candlesAlong(Array.from({ length: bars }, (_, i) => 200 - Math.floor(i / 2) - (i % 2) * 2));
}

export function signal(side: 'long' | 'short', overrides: Partial<SignalToAnalyse> = {}): SignalToAnalyse {
  return { symbol: 'BTC/USDT', side, timeframe: '5m', ...overrides };
}

export function lastTs(candles: Candle[]): number {
  return candles[candles.length - 1]!.ts;
}
