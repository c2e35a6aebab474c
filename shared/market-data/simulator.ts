/**
 * A seeded market simulator: realistic OHLCV without files or network, so the embedded default
 * stack, the paper exchange and tests have prices to trade on. Same options and seed → the same
 * candles, in every runtime.
 *
 * Model, per bar (log returns, σ in per-bar units):
 * - Regimes `up`, `down`, `range` that switch at random (mean length `meanRegimeBars`); a trend
 *   regime adds a drift of ±`trendStrength`·σ̄ per bar, enough to show over a regime's length
 *   while hardly moving bar-to-bar autocorrelation. `down` is a little more volatile, `range`
 *   a little calmer, as in real markets.
 * - Volatility clustering by GARCH(1,1): σ²ₜ = ω + α·ε²ₜ₋₁ + β·σ²ₜ₋₁ with ω = σ̄²(1 − α − β),
 *   so the long-run σ̄ matches `annualVolatility`. The defaults (α 0.06, β 0.92, t with 5
 *   degrees of freedom) keep the fourth moment finite (β² + 2αβ + 3α²(ν−2)/(ν−4) < 1).
 * - Fat tails: shocks are Student-t, scaled to unit variance.
 * - Gaps: with probability `gapProbability` a bar opens away from the previous close (a jump
 *   of `gapSize`·σ, normal); otherwise it opens at the previous close.
 * - Intrabar: high and low extend beyond max/min(open, close) by half-normal wicks of ~0.4σ,
 *   roughly what a Brownian path's range adds to its net move.
 * - Volume: lognormal noise times (0.4 + 0.6·|r|/σ̄), so it rises with absolute returns and in
 *   volatile spells.
 * - Prices are whole numbers of `tickSize` (default about 6 significant digits of the start
 *   price), never below one tick; volume is truncated to `volumeStep`.
 * - Optionally drops bars (`missingBarProbability`) as a flaky feed would, for gap handling.
 */
import { Dec, dec } from '../money/decimal.ts';
import type { Candle } from './candle.ts';
import { createRandom } from './random.ts';
import { isOnBoundary, timeframeToMs } from './timeframe.ts';

export type MarketSimulatorOptions = {
  /** Any number or string. Mixed with the symbol, so two symbols from one seed differ. */
  seed: number | string;
  symbol?: string;
  timeframe: string;
  /** Open time of the first candle, ms UTC, on a timeframe boundary. */
  start: number;
  /** Price of the first open (decimal string or number). Default 100. */
  startPrice?: string | number;
  /** Price increment; default 10^(floor(log10(startPrice)) − 5). */
  tickSize?: string;
  /** Volume increment; default 0.0001. */
  volumeStep?: string;
  /** Long-run annualised volatility of log returns. Default 0.6 (a large crypto asset). */
  annualVolatility?: number;
  garchAlpha?: number;
  garchBeta?: number;
  /** Degrees of freedom of the Student-t shocks (integer ≥ 3; lower = fatter tails). Default 5. */
  tailDegreesOfFreedom?: number;
  /** Mean length of a regime in bars. Default 300. */
  meanRegimeBars?: number;
  /** Drift of a trend regime per bar, in units of the long-run σ. Default 0.06. */
  trendStrength?: number;
  /** Chance per bar that the open jumps away from the previous close. Default 0.002. */
  gapProbability?: number;
  /** Size of such a jump in units of the current σ. Default 4. */
  gapSize?: number;
  /** Average volume of a bar in base units. Default 10 000 000 / startPrice per hour of timeframe
   *  (about 5.5 BTC a minute at 30 000). */
  baseVolume?: number;
  /** Chance per bar that the bar is missing from the output (time and price move on). Default 0. */
  missingBarProbability?: number;
};

export type Regime = 'up' | 'down' | 'range';

export type MarketSimulator = {
  readonly symbol: string;
  readonly timeframe: string;
  /** The next candle; the stream never ends. */
  next(): Candle;
  /** The regime the last returned candle was generated in (for tests and demos). */
  readonly regime: Regime;
  [Symbol.iterator](): Iterator<Candle>;
};

const YEAR_MS = 365 * 86_400_000;
const REGIMES: readonly Regime[] = ['up', 'down', 'range'];
const REGIME_DRIFT: Record<Regime, number> = { up: 1, down: -1, range: 0 };
const REGIME_VOLATILITY: Record<Regime, number> = { up: 1, down: 1.25, range: 0.8 };
/** σ never runs away: capped at this multiple of the long-run σ. */
const MAX_VOLATILITY_MULTIPLE = 10;

export function createMarketSimulator(options: MarketSimulatorOptions): MarketSimulator {
  const symbol = options.symbol ?? 'SIM/USDT';
  const stepMs = timeframeToMs(options.timeframe);
  if (!Number.isSafeInteger(options.start) || !isOnBoundary(options.start, options.timeframe)) {
    throw new Error(`start ${options.start} is not on a ${options.timeframe} boundary`);
  }
  const startPrice = dec(options.startPrice ?? 100);
  if (startPrice.lte(0)) throw new Error('startPrice must be positive');
  const tick = dec(options.tickSize ?? defaultTick(startPrice));
  const volumeStep = dec(options.volumeStep ?? '0.0001');
  if (tick.lte(0) || volumeStep.lte(0)) throw new Error('tickSize and volumeStep must be positive');

  const alpha = options.garchAlpha ?? 0.06;
  const beta = options.garchBeta ?? 0.92;
  if (alpha < 0 || beta < 0 || alpha + beta >= 1) {
    throw new Error('GARCH parameters need alpha ≥ 0, beta ≥ 0 and alpha + beta < 1 (a stationary variance)');
  }
  const df = options.tailDegreesOfFreedom ?? 5;
  const longRunSigma = (options.annualVolatility ?? 0.6) * Math.sqrt(stepMs / YEAR_MS);
  const longRunVariance = longRunSigma ** 2;
  const omega = longRunVariance * (1 - alpha - beta);
  const switchProbability = 1 / (options.meanRegimeBars ?? 300);
  const drift = (options.trendStrength ?? 0.06) * longRunSigma;
  const gapProbability = options.gapProbability ?? 0.002;
  const gapSize = options.gapSize ?? 4;
  const missingProbability = options.missingBarProbability ?? 0;
  const baseVolume = options.baseVolume ?? (10_000_000 / startPrice.toNumber()) * (stepMs / 3_600_000);

  const random = createRandom(`${options.seed}|${symbol}`);
  const tickNumber = tick.toNumber();
  const toTicks = (price: number) => Math.max(1, Math.round(price / tickNumber));
  const priceText = (ticks: number) => tick.mul(ticks).toFixed();
  const volumeText = (volume: number) =>
    new Dec(volume).div(volumeStep).toDecimalPlaces(0, Dec.ROUND_DOWN).mul(volumeStep).toFixed();

  let ts = options.start;
  let closeTicks = toTicks(startPrice.toNumber());
  let variance = longRunVariance;
  let lastShock = 0;
  let regime: Regime = REGIMES[Math.floor(random.uniform() * REGIMES.length)]!;

  const step = (): { candle: Candle; missing: boolean } => {
    // Every bar consumes the same draws in the same order, whatever the branches decide, so a
    // change to one option does not reshuffle the rest of the stream.
    const switchDraw = random.uniform();
    const regimeDraw = random.uniform();
    const shock = random.studentT(df);
    const gapDraw = random.uniform();
    const gapShock = random.normal();
    const highWick = Math.abs(random.normal());
    const lowWick = Math.abs(random.normal());
    const volumeNoise = random.normal();
    const missingDraw = random.uniform();

    if (switchDraw < switchProbability) {
      const others = REGIMES.filter((r) => r !== regime);
      regime = others[Math.floor(regimeDraw * others.length)]!;
    }
    variance = Math.min(
      omega + alpha * lastShock ** 2 + beta * variance,
      (MAX_VOLATILITY_MULTIPLE * longRunSigma) ** 2,
    );
    const sigma = Math.sqrt(variance) * REGIME_VOLATILITY[regime];

    const previousCloseTicks = closeTicks;
    const previousClose = previousCloseTicks * tickNumber;
    const openTicks =
      gapDraw < gapProbability ? toTicks(previousClose * Math.exp(gapShock * gapSize * sigma)) : closeTicks;
    const open = openTicks * tickNumber;
    const epsilon = sigma * shock;
    closeTicks = toTicks(open * Math.exp(REGIME_DRIFT[regime] * drift + epsilon));
    lastShock = epsilon / REGIME_VOLATILITY[regime];

    const top = Math.max(openTicks, closeTicks);
    const bottom = Math.min(openTicks, closeTicks);
    const highTicks = Math.max(top, toTicks(top * tickNumber * Math.exp(0.5 * sigma * highWick)));
    const lowTicks = Math.min(bottom, toTicks(bottom * tickNumber * Math.exp(-0.5 * sigma * lowWick)));

    // exp(0.4·N − 0.08) has mean 1, so `baseVolume` stays the average scale.
    const barReturn = Math.log(closeTicks / previousCloseTicks);
    const volume =
      baseVolume * Math.exp(0.4 * volumeNoise - 0.08) * (0.4 + (0.6 * Math.abs(barReturn)) / longRunSigma);

    const candle: Candle = {
      ts,
      open: priceText(openTicks),
      high: priceText(highTicks),
      low: priceText(lowTicks),
      close: priceText(closeTicks),
      volume: volumeText(volume),
    };
    ts += stepMs;
    return { candle, missing: missingDraw < missingProbability };
  };

  const next = (): Candle => {
    for (;;) {
      const { candle, missing } = step();
      if (!missing) return candle;
    }
  };

  return {
    symbol,
    timeframe: options.timeframe,
    next,
    get regime() {
      return regime;
    },
    [Symbol.iterator]: () => ({ next: () => ({ done: false, value: next() }) }),
  };
}

/** `count` simulated candles (fewer bars of time when `missingBarProbability` drops some). */
export function simulateMarket(options: MarketSimulatorOptions & { count: number }): Candle[] {
  if (!Number.isSafeInteger(options.count) || options.count < 0) {
    throw new Error(`count must be a whole number ≥ 0, got ${options.count}`);
  }
  const simulator = createMarketSimulator(options);
  return Array.from({ length: options.count }, () => simulator.next());
}

/** About six significant digits: 0.1 for a price of 30 000, 1e-8 for 0.0016. */
function defaultTick(startPrice: Dec): string {
  const exponent = Math.floor(Math.log10(startPrice.toNumber())) - 5;
  return dec(10).pow(exponent).toFixed();
}
