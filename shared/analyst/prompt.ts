/**
 * The prompt the OpenAI analyst sends: a short system message with the rules the schema cannot
 * express, and one user message that is a compact JSON document — the signal, the indicator
 * readings already computed (models are poor at arithmetic over long number lists), and the
 * most recent candles for context.
 *
 * The user message is machine-readable on purpose: `readAnalysisPrompt` turns it back into an
 * `AnalysisInput`, which is how the local OpenAI-compatible test server answers with the
 * deterministic analyst's decision for the very data it was sent.
 */
import type { Candle } from '../market-data/candle.ts';
import { INDICATOR_SETTINGS, requiredCandles, summariseIndicators } from './indicators.ts';
import type { AnalysisInput, SignalToAnalyse } from './port.ts';

/** Candles sent to the model: enough for every indicator plus context, few enough to stay cheap. */
export const PROMPT_CANDLES = 60;

export const SYSTEM_PROMPT = [
  'You are a cautious crypto trading analyst. Assess the trading signal against the market data',
  'and answer only with JSON that matches the response schema.',
  'Rules: prices are plain decimal strings at the precision of the candles;',
  'for a long, stopLoss < entry < takeProfit; for a short, takeProfit < entry < stopLoss;',
  '"enter" requires all three levels; use "wait" when conditions are not yet met or the data is insufficient,',
  '"reject" when the evidence is against the signal (levels null);',
  "confidence (0 to 1) is how strongly the evidence supports entering on the signal's side now.",
  'Use only the data given. Candle rows are [open time ms UTC, open, high, low, close, volume].',
].join(' ');

export type PromptMessage = { role: 'system' | 'user'; content: string };

/** The messages for one analysis. Only candles that opened at or before `now` are sent. */
export function analysisMessages(input: AnalysisInput): PromptMessage[] {
  const usable = input.candles.filter((candle) => candle.ts <= input.now);
  const readings = summariseIndicators(usable);
  const document = {
    signal: input.signal,
    now: input.now,
    nowUtc: new Date(input.now).toISOString(),
    indicators:
      readings === null
        ? { available: false, candlesNeeded: requiredCandles(), candlesGiven: usable.length }
        : {
            settings: INDICATOR_SETTINGS,
            lastClose: readings.lastClose,
            rsi: round(readings.rsi),
            emaFast: round(readings.emaFast),
            emaSlow: round(readings.emaSlow),
            cross: readings.cross,
            atr: round(readings.atr),
            bollinger: {
              lower: round(readings.bollinger.lower),
              middle: round(readings.bollinger.middle),
              upper: round(readings.bollinger.upper),
              percentB: round(readings.bollinger.percentB),
            },
            volumeRatio: round(readings.volume.ratio),
          },
    candles: usable
      .slice(-PROMPT_CANDLES)
      .map((c) => [c.ts, c.open, c.high, c.low, c.close, c.volume] as const),
  };
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: JSON.stringify(document) },
  ];
}

/**
 * Reads the analysis input back out of a user message written by `analysisMessages` (for the
 * local test server). Returns null for anything else.
 */
export function readAnalysisPrompt(content: string): AnalysisInput | null {
  let document: unknown;
  try {
    document = JSON.parse(content);
  } catch {
    return null;
  }
  if (typeof document !== 'object' || document === null) return null;
  const { signal, now, candles } = document as { signal?: unknown; now?: unknown; candles?: unknown };
  if (!isSignal(signal) || typeof now !== 'number' || !Array.isArray(candles)) return null;
  const parsed: Candle[] = [];
  for (const row of candles) {
    if (!Array.isArray(row) || row.length !== 6 || typeof row[0] !== 'number') return null;
    const [ts, open, high, low, close, volume] = row as [number, string, string, string, string, string];
    parsed.push({ ts, open, high, low, close, volume });
  }
  return { signal, now, candles: parsed };
}

function isSignal(value: unknown): value is SignalToAnalyse {
  if (typeof value !== 'object' || value === null) return false;
  const { symbol, side, timeframe } = value as Record<string, unknown>;
  return typeof symbol === 'string' && (side === 'long' || side === 'short') && typeof timeframe === 'string';
}

/** Six significant digits: plenty for a model, and it keeps the prompt short. */
function round(value: number): number {
  return Number(value.toPrecision(6));
}
