/**
 * The deterministic analyst: a fixed, documented rule set on classic indicators, used when no
 * OpenAI key is configured (the local stack, tests, replays). Same input → same analysis, in
 * every runtime; it never throws for lack of data, it answers `wait` and says why.
 *
 * Rules (the signal's side is d = +1 for long, −1 for short):
 * 1. Only candles that opened at or before `now` count (no look-ahead in replays).
 * 2. Fewer candles than the indicators need → `wait`, confidence 0, no levels.
 *    A last candle older than `STALE_AFTER_BARS` bars → `wait` (stale data is no basis for an order).
 *    ATR of zero (a market that does not move) → `wait`.
 * 3. Four votes, each a bullish reading b in [−1, 1], counted for the side as d·b:
 *    - trend: b = sign(EMA9 − EMA21);
 *    - momentum: RSI14 ≥ 70 → −1 (overbought), ≤ 30 → +1 (oversold), 55–70 → +0.5, 30–45 → −0.5, else 0;
 *    - Bollinger(20, 2) position: %B > 1 → −1 (stretched above the band), < 0 → +1,
 *      upper half → +0.5, lower half → −0.5;
 *    - volume: last volume ≥ 1.5 × its 20-bar average confirms the last candle's direction (±1), else 0.
 *    The score S = Σ d·b lies in [−4, 4]; confidence = (S + 4) / 8, rounded to 0.01.
 * 4. Action: `reject` when S ≤ −1.5, or when trend and momentum both oppose the side;
 *    `enter` when S ≥ 1.5 and the trend agrees; `wait` otherwise.
 * 5. Levels (for `enter` and `wait`; none for `reject`): entry = last close,
 *    stop-loss = entry − d·1.5·ATR, take-profit = entry + d·3·ATR (2:1 reward to risk), rounded
 *    half-even to the price precision seen in the candles. A long stop at or below zero, or levels
 *    that collapse onto the entry after rounding → `wait` without levels.
 */
import type { Candle } from '../market-data/candle.ts';
import { timeframeToMs } from '../market-data/timeframe.ts';
import { Dec, dec } from '../money/decimal.ts';
import { type Analysis, type AnalysisOutput, validateAnalysisOutput } from './analysis.ts';
import { type IndicatorSummary, requiredCandles, summariseIndicators } from './indicators.ts';
import type { AnalysisInput, Analyst } from './port.ts';

/** Reported as the analysis model, so stored analyses say which rule set produced them. */
export const DETERMINISTIC_MODEL = 'tradeflow-deterministic-v1';

export const DETERMINISTIC_RULES = {
  staleAfterBars: 3,
  stopAtr: 1.5,
  takeProfitAtr: 3,
  enterScore: 1.5,
  rejectScore: -1.5,
  volumeSpike: 1.5,
  /** Price precision never exceeds this many decimals, whatever the data shows. */
  maxPriceDecimals: 12,
} as const;

export type DeterministicAnalystOptions = {
  /** Milliseconds, for the latency figure only. Default `performance.now`. */
  clock?: () => number;
};

export function createDeterministicAnalyst(options: DeterministicAnalystOptions = {}): Analyst {
  const clock = options.clock ?? (() => performance.now());
  return {
    kind: 'deterministic',
    analyse(input: AnalysisInput): Promise<Analysis> {
      const started = clock();
      const output = decide(input);
      // The rule set checks its own output against the same schema the model must satisfy: a
      // bug here should fail loudly in tests, never send crossed levels to the exchange.
      const checked = validateAnalysisOutput(output, input.signal.side);
      if (!checked.ok) {
        return Promise.reject(
          new Error(`deterministic analyst broke its schema: ${checked.issues.join('; ')}`),
        );
      }
      return Promise.resolve({
        ...checked.output,
        model: DETERMINISTIC_MODEL,
        tokens: null,
        latencyMs: Math.max(0, clock() - started),
      });
    },
  };
}

/** The rule set itself: pure, exported for tests and for the local OpenAI-compatible server. */
export function decide({ signal, candles, now }: AnalysisInput): AnalysisOutput {
  const usable = candles.filter((candle) => candle.ts <= now);
  const wait = (confidence: number, rationale: string): AnalysisOutput => ({
    action: 'wait',
    confidence,
    entry: null,
    stopLoss: null,
    takeProfit: null,
    timeframe: signal.timeframe,
    rationale,
  });

  const needed = requiredCandles();
  if (usable.length < needed) {
    return wait(
      0,
      `Not enough data: ${usable.length} ${signal.timeframe} candle(s) up to now, the indicators need at least ${needed}; waiting for more.`,
    );
  }
  const barMs = safeTimeframeMs(signal.timeframe);
  const last = usable[usable.length - 1]!;
  if (barMs !== null && now - last.ts > DETERMINISTIC_RULES.staleAfterBars * barMs) {
    const age = Math.floor((now - last.ts) / barMs);
    return wait(
      0,
      `Market data is stale: the last ${signal.timeframe} candle is ${age} bars old; waiting for fresh data.`,
    );
  }

  const readings = summariseIndicators(usable)!;
  if (!(readings.atr > 0)) {
    return wait(0, 'The market has not moved (ATR is zero): no basis for stop-loss or take-profit; waiting.');
  }

  const direction = signal.side === 'long' ? 1 : -1;
  const votes = bullishVotes(readings);
  const aligned = {
    trend: direction * votes.trend,
    momentum: direction * votes.momentum,
    bollinger: direction * votes.bollinger,
    volume: direction * votes.volume,
  };
  const score = aligned.trend + aligned.momentum + aligned.bollinger + aligned.volume;
  const confidence = Math.round(((score + 4) / 8) * 100) / 100;
  const evidence = describeReadings(readings);
  const tally = `${formatScore(score)} of 4 for ${signal.side}`;

  if (score <= DETERMINISTIC_RULES.rejectScore || (aligned.trend < 0 && aligned.momentum < 0)) {
    return {
      action: 'reject',
      confidence,
      entry: null,
      stopLoss: null,
      takeProfit: null,
      timeframe: signal.timeframe,
      rationale: `Indicators are against a ${signal.side}: ${evidence} (${tally}).`,
    };
  }

  const levels = levelsAround(usable, readings, direction);
  if (levels === null) {
    return wait(
      confidence,
      `No usable levels: ${DETERMINISTIC_RULES.stopAtr}×ATR around the last close falls outside valid prices; waiting. ${evidence}.`,
    );
  }
  const enter = score >= DETERMINISTIC_RULES.enterScore && aligned.trend > 0;
  return {
    action: enter ? 'enter' : 'wait',
    confidence,
    ...levels,
    timeframe: signal.timeframe,
    rationale: enter
      ? `Indicators agree with a ${signal.side}: ${evidence} (${tally}).`
      : `Indicators are mixed for a ${signal.side}: ${evidence} (${tally}); waiting for agreement.`,
  };
}

/** Each indicator's reading as a bullish vote in [−1, 1] (rule 3). */
function bullishVotes(r: IndicatorSummary): {
  trend: number;
  momentum: number;
  bollinger: number;
  volume: number;
} {
  const trend = Math.sign(r.emaFast - r.emaSlow);
  const momentum = r.rsi >= 70 ? -1 : r.rsi <= 30 ? 1 : r.rsi >= 55 ? 0.5 : r.rsi <= 45 ? -0.5 : 0;
  const b = r.bollinger.percentB;
  const bollinger = b > 1 ? -1 : b < 0 ? 1 : b >= 0.5 ? 0.5 : -0.5;
  const spike = r.volume.ratio >= DETERMINISTIC_RULES.volumeSpike;
  const volume = !spike ? 0 : r.lastCandle === 'up' ? 1 : r.lastCandle === 'down' ? -1 : 0;
  return { trend, momentum, bollinger, volume };
}

/** Rule 5: ATR multiples around the last close, as decimal strings at the data's precision. */
function levelsAround(
  candles: readonly Candle[],
  r: IndicatorSummary,
  direction: number,
): { entry: string; stopLoss: string; takeProfit: string } | null {
  const places = priceDecimals(candles.slice(-requiredCandles()));
  const round = (value: number) => dec(value.toPrecision(15)).toDecimalPlaces(places, Dec.ROUND_HALF_EVEN);
  const entry = dec(candles[candles.length - 1]!.close);
  const stopLoss = round(entry.toNumber() - direction * DETERMINISTIC_RULES.stopAtr * r.atr);
  const takeProfit = round(entry.toNumber() + direction * DETERMINISTIC_RULES.takeProfitAtr * r.atr);
  if (stopLoss.lte(0) || takeProfit.lte(0) || stopLoss.eq(entry) || takeProfit.eq(entry)) return null;
  return { entry: entry.toFixed(), stopLoss: stopLoss.toFixed(), takeProfit: takeProfit.toFixed() };
}

/** The most decimals any price in `candles` carries: the market's tick, as far as the data shows. */
function priceDecimals(candles: readonly Candle[]): number {
  let places = 0;
  for (const candle of candles) {
    for (const value of [candle.open, candle.high, candle.low, candle.close]) {
      places = Math.max(places, dec(value).decimalPlaces());
    }
  }
  return Math.min(places, DETERMINISTIC_RULES.maxPriceDecimals);
}

function describeReadings(r: IndicatorSummary): string {
  const s = (value: number) => Number(value.toPrecision(4)).toString();
  const trend =
    r.emaFast > r.emaSlow ? 'EMA9 above EMA21' : r.emaFast < r.emaSlow ? 'EMA9 below EMA21' : 'EMA9 on EMA21';
  const cross = r.cross ? ` (crossed ${r.cross.direction} ${r.cross.barsAgo} bar(s) ago)` : '';
  const volume =
    r.volume.ratio >= DETERMINISTIC_RULES.volumeSpike
      ? `volume ${s(r.volume.ratio)}× average on a${r.lastCandle === 'up' ? 'n up' : r.lastCandle === 'down' ? ' down' : ' flat'} candle`
      : `volume ${s(r.volume.ratio)}× average`;
  return `${trend}${cross}, RSI ${s(r.rsi)}, Bollinger %B ${s(r.bollinger.percentB)}, ${volume}, ATR ${s(r.atr)}`;
}

function formatScore(score: number): string {
  return score > 0 ? `+${score}` : `${score}`;
}

function safeTimeframeMs(timeframe: string): number | null {
  try {
    return timeframeToMs(timeframe);
  } catch {
    return null;
  }
}
