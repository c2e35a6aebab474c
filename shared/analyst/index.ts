/**
 * The Analyst port and its two adapters (issue 4, analyse): OpenAI through the official client
 * with strict structured output, and a deterministic rule set on `trading-signals` indicators
 * for when no key is set. Runtime-agnostic: runs in Edge Functions, the local stack and vitest.
 */

export { analysisJsonSchema, analysisOutputSchema, validateAnalysisOutput } from './analysis.ts';
export { type AnalystEnv, chooseAnalyst } from './choose-analyst.ts';
export {
  createDeterministicAnalyst,
  DETERMINISTIC_MODEL,
  DETERMINISTIC_RULES,
  type DeterministicAnalystOptions,
  decide,
} from './deterministic-analyst.ts';
export {
  INDICATOR_SETTINGS,
  type IndicatorSummary,
  requiredCandles,
  summariseIndicators,
} from './indicators.ts';
export {
  createOpenAiAnalyst,
  DEFAULT_OPENAI_MODEL,
  DEFAULT_OPENAI_TIMEOUT_MS,
  type OpenAiAnalystOptions,
} from './openai-analyst.ts';
export {
  type Analysis,
  AnalysisFailed,
  type AnalysisFailureReason,
  type AnalysisInput,
  type AnalysisOutput,
  type Analyst,
  isAnalysisFailed,
  type Side,
  type SignalToAnalyse,
} from './port.ts';
export { analysisMessages, readAnalysisPrompt } from './prompt.ts';
