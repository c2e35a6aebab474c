import { describe, expect, it } from 'vitest';
import { validateAnalysisOutput } from '../../../shared/analyst/analysis.ts';
import {
  createDeterministicAnalyst,
  DETERMINISTIC_MODEL,
  decide,
} from '../../../shared/analyst/deterministic-analyst.ts';
import { requiredCandles } from '../../../shared/analyst/indicators.ts';
import type { Analysis, AnalysisInput } from '../../../shared/analyst/port.ts';
import { parseOhlcvJson, simulateMarket } from '../../../shared/market-data/index.ts';
import { dec } from '../../../shared/money/decimal.ts';
import { readSharedOhlcv } from '../../support/shared-data.ts';
import { candlesAlong, FIVE_MINUTES, fallingZigZag, lastTs, risingZigZag, signal, T0 } from './builders.ts';

const analyst = createDeterministicAnalyst({ clock: () => 1_000 });

/** Windows of `size` candles ending every `step` candles, analysed for both sides at their last candle. */
function windows(
  candles: AnalysisInput['candles'],
  symbol: string,
  size: number,
  step: number,
): AnalysisInput[] {
  const inputs: AnalysisInput[] = [];
  for (let end = size; end <= candles.length; end += step) {
    const window = candles.slice(end - size, end);
    for (const side of ['long', 'short'] as const) {
      inputs.push({ signal: signal(side, { symbol }), candles: window, now: lastTs(window) });
    }
  }
  return inputs;
}

/** Levels ordered for the side: long stop < entry < take-profit, short the reverse. */
function expectLevelsConsistent(analysis: Analysis, side: 'long' | 'short'): void {
  if (analysis.action === 'enter') {
    expect(analysis.entry).not.toBeNull();
    expect(analysis.stopLoss).not.toBeNull();
    expect(analysis.takeProfit).not.toBeNull();
  }
  if (analysis.entry === null) return;
  const entry = dec(analysis.entry);
  const stop = dec(analysis.stopLoss!);
  const take = dec(analysis.takeProfit!);
  expect(stop.gt(0)).toBe(true);
  if (side === 'long') {
    expect(stop.lt(entry) && entry.lt(take)).toBe(true);
  } else {
    expect(take.lt(entry) && entry.lt(stop)).toBe(true);
  }
}

const simulated = simulateMarket({
  seed: 'analyst',
  timeframe: '5m',
  start: T0,
  count: 1_500,
  startPrice: 30_000,
});

describe('the deterministic analyst', () => {
  it('answers the same analysis for the same input, from a fresh instance too', async () => {
    const input = { signal: signal('long'), candles: simulated.slice(0, 200), now: simulated[199]!.ts };
    const first = await analyst.analyse(input);
    const again = await createDeterministicAnalyst({ clock: () => 1_000 }).analyse(structuredClone(input));
    expect(again).toEqual(first);
    expect(first.model).toBe(DETERMINISTIC_MODEL);
    expect(first.tokens).toBeNull();
    expect(first.latencyMs).toBe(0);
  });

  it('keeps levels on the right side of the entry and confidence within 0–1 on simulated markets', async () => {
    const inputs = windows(simulated, 'BTC/USDT', 120, 25);
    const actions = new Set<string>();
    for (const input of inputs) {
      const analysis = await analyst.analyse(input);
      actions.add(analysis.action);
      expect(analysis.confidence).toBeGreaterThanOrEqual(0);
      expect(analysis.confidence).toBeLessThanOrEqual(1);
      expect(analysis.timeframe).toBe('5m');
      expectLevelsConsistent(analysis, input.signal.side);
    }
    // A rule set that always says the same thing would be useless.
    expect([...actions].sort()).toEqual(['enter', 'reject', 'wait']);
  });

  it('handles real ETH/BTC 5m windows: valid, consistent and repeatable', async () => {
    const { candles } = parseOhlcvJson(readSharedOhlcv('ETH_BTC-5m.json'), { timeframe: '5m' });
    const inputs = windows(candles, 'ETH/BTC', 100, Math.floor(candles.length / 6));
    expect(inputs.length).toBeGreaterThanOrEqual(10);
    for (const input of inputs) {
      const analysis = await analyst.analyse(input);
      expect(validateAnalysisOutput(decide(input), input.signal.side).ok).toBe(true);
      expectLevelsConsistent(analysis, input.signal.side);
      expect(await analyst.analyse(input)).toEqual(analysis);
      // Levels keep the market's precision (ETH/BTC trades to 8 decimals), not float noise.
      for (const level of [analysis.entry, analysis.stopLoss, analysis.takeProfit]) {
        if (level !== null) expect(dec(level).decimalPlaces()).toBeLessThanOrEqual(8);
      }
    }
  });

  it('enters a long in a steady uptrend, with stop-loss 1.5 ATR below and take-profit 3 ATR above', async () => {
    const candles = risingZigZag();
    const analysis = await analyst.analyse({ signal: signal('long'), candles, now: lastTs(candles) });
    expect(analysis.action).toBe('enter');
    expect(analysis.confidence).toBeGreaterThan(0.5);
    expect(analysis.entry).toBe(candles.at(-1)!.close);
    const risk = dec(analysis.entry!).minus(analysis.stopLoss!);
    const reward = dec(analysis.takeProfit!).minus(analysis.entry!);
    expect(reward.div(risk).toNumber()).toBeCloseTo(2, 1);
    expect(analysis.rationale).toContain('EMA9 above EMA21');
  });

  it('rejects a short against that uptrend, without levels', async () => {
    const candles = risingZigZag();
    const analysis = await analyst.analyse({ signal: signal('short'), candles, now: lastTs(candles) });
    expect(analysis.action).toBe('reject');
    expect(analysis.confidence).toBeLessThan(0.5);
    expect([analysis.entry, analysis.stopLoss, analysis.takeProfit]).toEqual([null, null, null]);
    expect(analysis.rationale).toMatch(/against a short/);
  });

  it('mirrors itself in a downtrend: the short enters, the long is rejected', async () => {
    const candles = fallingZigZag();
    const short = await analyst.analyse({ signal: signal('short'), candles, now: lastTs(candles) });
    const long = await analyst.analyse({ signal: signal('long'), candles, now: lastTs(candles) });
    expect(short.action).toBe('enter');
    expectLevelsConsistent(short, 'short');
    expect(long.action).toBe('reject');
  });

  it('waits when the indicators disagree: a trend stretched far above its bands', async () => {
    // A straight climb: the trend says long, but RSI is overbought and price sits above the upper band.
    const candles = candlesAlong(Array.from({ length: 60 }, (_, i) => 100 + i));
    const analysis = await analyst.analyse({ signal: signal('long'), candles, now: lastTs(candles) });
    expect(analysis.action).toBe('wait');
    expect(analysis.rationale).toMatch(/mixed/);
    expectLevelsConsistent(analysis, 'long');
  });

  it('waits, saying how many candles it needs, when the data is too short — and never throws', async () => {
    const needed = requiredCandles();
    for (const count of [0, 1, needed - 1]) {
      const candles = risingZigZag(count);
      const analysis = await analyst.analyse({
        signal: signal('long'),
        candles,
        now: T0 + count * FIVE_MINUTES,
      });
      expect(analysis.action).toBe('wait');
      expect(analysis.confidence).toBe(0);
      expect(analysis.entry).toBeNull();
      expect(analysis.rationale).toContain(`need at least ${needed}`);
    }
    const enough = risingZigZag(needed);
    expect(
      (await analyst.analyse({ signal: signal('long'), candles: enough, now: lastTs(enough) })).rationale,
    ).not.toContain('Not enough data');
  });

  it('ignores candles that open after now, so a replay cannot see the future', async () => {
    const past = simulated.slice(0, 300);
    const now = lastTs(past);
    const withFuture = await analyst.analyse({
      signal: signal('long'),
      candles: simulated.slice(0, 600),
      now,
    });
    expect(withFuture).toEqual(await analyst.analyse({ signal: signal('long'), candles: past, now }));
  });

  it('waits on stale data rather than pricing an order from an old candle', async () => {
    const candles = risingZigZag();
    const analysis = await analyst.analyse({
      signal: signal('long'),
      candles,
      now: lastTs(candles) + 10 * FIVE_MINUTES,
    });
    expect(analysis.action).toBe('wait');
    expect(analysis.rationale).toMatch(/stale.*10 bars old/);
  });

  it('waits when the market has not moved, since there is no volatility to place stops by', async () => {
    const candles = candlesAlong(Array.from({ length: 60 }, () => 100)).map((c) => ({
      ...c,
      high: '100',
      low: '100',
    }));
    const analysis = await analyst.analyse({ signal: signal('long'), candles, now: lastTs(candles) });
    expect(analysis.action).toBe('wait');
    expect(analysis.rationale).toContain('ATR is zero');
  });
});
