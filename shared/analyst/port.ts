/**
 * The Analyst port: given a signal and recent candles, decide whether to enter, wait or reject,
 * and at which levels. Two adapters implement it — the OpenAI analyst (any OpenAI-compatible
 * server) and the deterministic rule set used when no API key is configured; the worker's
 * analyse handler sees only this interface.
 */
import type { Candle } from '../market-data/candle.ts';
import type { Analysis, Side } from './analysis.ts';

export type { Analysis, AnalysisOutput, Side } from './analysis.ts';
export { AnalysisFailed, type AnalysisFailureReason, isAnalysisFailed } from './analysis-failed.ts';

/** The signal as the analyst sees it: what its source proposed (levels optional). */
export type SignalToAnalyse = {
  symbol: string;
  side: Side;
  timeframe: string;
  entryPrice?: string;
  stopLoss?: string;
  takeProfit?: string;
  /** Free text from the signal's source (a trader's reasoning, a bot's tag). */
  note?: string;
};

export type AnalysisInput = {
  signal: SignalToAnalyse;
  /** Candles of `signal.timeframe`, oldest first. Candles opening after `now` are ignored. */
  candles: Candle[];
  /** The moment of the analysis, ms UTC (passed in so replays and tests are deterministic). */
  now: number;
};

export interface Analyst {
  /** `openai` or `deterministic`, for logs and the local stack's banner. */
  readonly kind: 'openai' | 'deterministic';
  /**
   * Resolves with a validated analysis, or rejects with `AnalysisFailed` (the OpenAI analyst
   * only: the deterministic one answers `wait` instead of failing).
   */
  analyse(input: AnalysisInput): Promise<Analysis>;
}
