/**
 * The signal-to-trade pipeline (issue 4, item 1): the worker's job handlers and what they share
 * — emulated stop-loss / take-profit legs, closing at market, alerts once per subject, and one
 * Exchange per account. Runtime-agnostic: the worker Edge Function, the local stack and vitest
 * run the same code.
 */

export { raiseAlert } from './alerts.ts';
export { analyseSignal } from './analyse.ts';
export {
  DEFAULT_SETTINGS,
  type Pipeline,
  type PipelineDeps,
  type PipelineSettings,
  resolvePipeline,
} from './deps.ts';
export { crossed, type FiredLeg, triggerEmulatedOrders } from './emulated-orders.ts';
export {
  type EntryConditionInputs,
  type EntryConditionResult,
  evaluateEntryConditions,
  type MonitorDecision,
  mergeLevels,
} from './entry-conditions.ts';
export {
  createExchangeForAccount,
  type ExchangeFor,
  type ExchangeForAccountOptions,
  parseExchangeUrls,
} from './exchange-for-account.ts';
export { createHandlers, JOB_KINDS, type JobKind } from './handlers.ts';
