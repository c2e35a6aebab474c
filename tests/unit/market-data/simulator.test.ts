import { describe, expect, it } from 'vitest';
import {
  type Candle,
  createMarketSimulator,
  findGaps,
  simulateMarket,
} from '../../../shared/market-data/index.ts';
import { dec } from '../../../shared/money/decimal.ts';

const start = Date.parse('2024-01-01T00:00:00Z');
const btc = { seed: 42, symbol: 'BTC/USDT', timeframe: '1m', start, startPrice: '30000' } as const;

function logReturns(candles: Candle[]): number[] {
  return candles.slice(1).map((candle, i) => Math.log(Number(candle.close) / Number(candles[i]!.close)));
}

function autocorrelation(xs: number[], lag: number): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < xs.length; i++) {
    denominator += (xs[i]! - mean) ** 2;
    if (i >= lag) numerator += (xs[i]! - mean) * (xs[i - lag]! - mean);
  }
  return numerator / denominator;
}

function correlation(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

// One long run shared by the statistical tests (about half a second to generate).
const long = simulateMarket({ ...btc, count: 100_000 });
const returns = logReturns(long);

describe('simulateMarket', () => {
  it('gives the same candles for the same seed', () => {
    expect(simulateMarket({ ...btc, count: 500 })).toEqual(simulateMarket({ ...btc, count: 500 }));
    expect(simulateMarket({ ...btc, seed: 'replay-1', count: 50 })).toEqual(
      simulateMarket({ ...btc, seed: 'replay-1', count: 50 }),
    );
  });

  it('gives different candles for another seed or another symbol', () => {
    const base = simulateMarket({ ...btc, count: 50 });
    expect(simulateMarket({ ...btc, seed: 43, count: 50 })).not.toEqual(base);
    expect(simulateMarket({ ...btc, symbol: 'ETH/USDT', count: 50 })).not.toEqual(base);
  });

  it('pins the first candles of seed 42, so a change to the model is noticed', () => {
    expect(simulateMarket({ ...btc, count: 2 })).toMatchInlineSnapshot(`
      [
        {
          "close": "30023.7",
          "high": "30028.7",
          "low": "29994.2",
          "open": "30000",
          "ts": 1704067200000,
          "volume": "3.4069",
        },
        {
          "close": "30024",
          "high": "30041.6",
          "low": "30022.2",
          "open": "30023.7",
          "ts": 1704067260000,
          "volume": "3.9786",
        },
      ]
    `);
  });

  it('streams the same candles as the batch form, without end', () => {
    const simulator = createMarketSimulator(btc);
    const streamed = Array.from({ length: 1000 }, () => simulator.next());
    expect(streamed).toEqual(long.slice(0, 1000));
    let count = 0;
    for (const candle of simulator) {
      expect(candle.ts).toBe(start + (1000 + count) * 60_000);
      if (++count === 10) break;
    }
  });

  it('opens bars on consecutive timeframe boundaries from the start', () => {
    const hourly = simulateMarket({ ...btc, timeframe: '1h', count: 48 });
    expect(hourly.map((c) => c.ts)).toEqual(Array.from({ length: 48 }, (_, i) => start + i * 3_600_000));
    expect(findGaps(long, '1m')).toEqual([]);
  });

  it('keeps every one of 100k candles consistent: low > 0, high ≥ max(open, close), low ≤ min(open, close)', () => {
    let inconsistent = 0;
    for (const c of long) {
      const [open, high, low, close] = [dec(c.open), dec(c.high), dec(c.low), dec(c.close)];
      if (!(low.gt(0) && high.gte(open) && high.gte(close) && low.lte(open) && low.lte(close)))
        inconsistent++;
      if (dec(c.volume).lt(0)) inconsistent++;
    }
    expect(inconsistent).toBe(0);
  });

  it('rounds prices to the tick: 0.1 at 30 000 by default, or the given tick', () => {
    expect(long.every((c) => /^\d+(\.\d)?$/.test(c.close) && /^\d+(\.\d)?$/.test(c.low))).toBe(true);
    const altcoin = simulateMarket({ ...btc, startPrice: '0.0016', tickSize: '0.00000001', count: 1000 });
    expect(altcoin.every((c) => /^0\.\d{1,8}$/.test(c.close))).toBe(true);
    const cents = simulateMarket({ ...btc, tickSize: '0.25', count: 1000 });
    expect(cents.every((c) => dec(c.high).mod('0.25').isZero())).toBe(true);
  });

  it('clusters volatility: absolute returns are clearly autocorrelated, raw returns hardly', () => {
    const absolute = returns.map(Math.abs);
    expect(autocorrelation(absolute, 1)).toBeGreaterThan(0.1);
    expect(autocorrelation(absolute, 10)).toBeGreaterThan(0.05);
    expect(Math.abs(autocorrelation(returns, 1))).toBeLessThan(0.03);
    expect(Math.abs(autocorrelation(returns, 2))).toBeLessThan(0.03);
  });

  it('has fat tails: kurtosis well above the normal 3', () => {
    const sd = Math.sqrt(returns.reduce((a, r) => a + r * r, 0) / returns.length);
    const kurtosis = returns.reduce((a, r) => a + r ** 4, 0) / returns.length / sd ** 4;
    expect(kurtosis).toBeGreaterThan(5);
  });

  it('keeps returns in a sane range for 60% annual volatility on 1-minute bars', () => {
    const sd = Math.sqrt(returns.reduce((a, r) => a + r * r, 0) / returns.length);
    const expected = 0.6 * Math.sqrt(1 / (365 * 24 * 60)); // ≈ 0.00083
    expect(sd).toBeGreaterThan(expected * 0.7);
    expect(sd).toBeLessThan(expected * 1.5);
    expect(Math.max(...returns.map(Math.abs))).toBeLessThan(0.05);
    const closes = long.map((c) => Number(c.close));
    expect(Math.min(...closes)).toBeGreaterThan(30_000 / 3);
    expect(Math.max(...closes)).toBeLessThan(30_000 * 3);
  });

  it('trades more volume when prices move more', () => {
    const volumes = long.slice(1).map((c) => Number(c.volume));
    expect(correlation(returns.map(Math.abs), volumes)).toBeGreaterThan(0.3);
  });

  it('sometimes opens a bar away from the previous close', () => {
    const gaps = long.filter((c, i) => i > 0 && c.open !== long[i - 1]!.close).length;
    expect(gaps).toBeGreaterThan(50); // 0.2% of 100k bars ≈ 200
    expect(gaps).toBeLessThan(500);
  });

  it('switches between trending regimes', () => {
    const simulator = createMarketSimulator(btc);
    const seen = new Set<string>();
    let switches = 0;
    let previous = simulator.regime;
    for (let i = 0; i < 10_000; i++) {
      simulator.next();
      if (simulator.regime !== previous) switches++;
      previous = simulator.regime;
      seen.add(previous);
    }
    expect([...seen].sort()).toEqual(['down', 'range', 'up']);
    expect(switches).toBeGreaterThan(10); // mean regime length 300 bars → ~33 switches
  });

  it('drops bars like a flaky feed when asked, leaving gaps for ingestion to find', () => {
    const flaky = simulateMarket({ ...btc, count: 2000, missingBarProbability: 0.01 });
    expect(flaky).toHaveLength(2000);
    const gaps = findGaps(flaky, '1m');
    expect(gaps.length).toBeGreaterThan(5);
    expect(gaps.length).toBeLessThan(50);
  });

  it('refuses a start that is not on a timeframe boundary and impossible parameters', () => {
    expect(() => simulateMarket({ ...btc, start: start + 1, count: 1 })).toThrow('is not on a 1m boundary');
    expect(() => simulateMarket({ ...btc, garchAlpha: 0.2, garchBeta: 0.85, count: 1 })).toThrow(
      'alpha + beta < 1',
    );
    expect(() => simulateMarket({ ...btc, startPrice: '0', count: 1 })).toThrow(
      'startPrice must be positive',
    );
    expect(() => simulateMarket({ ...btc, count: -1 })).toThrow('count must be a whole number');
  });
});
