/**
 * The risk engine (issue 4, item 2): a pure decision over plain facts (evaluateEntry, sizeEntry),
 * the reads that gather them (prepareEntry), the same rules re-checked inside the transaction
 * that writes the entry order (entryRiskGuard, placement's beforeInsert hook), and the daily
 * loss limit's halt (dailyRealizedPnl, haltTraderUntilNextUtcDay, haltTraderIfDailyLossHit).
 */
export { dailyRealizedPnl, dailyRealizedPnlForUser } from './daily-pnl.ts';
export { type EntryGuardOptions, entryRiskGuard } from './entry-guard.ts';
export { EntryFactsMissing, readEntryState } from './entry-state.ts';
export { checkEntryState, evaluateEntry, lossReached, referencePrice } from './evaluate-entry.ts';
export {
  type AccountFacts,
  ASSUMED_ENTRY_FEE,
  type EntryDecision,
  type EntryFacts,
  type EntryFee,
  type EntryState,
  type ExpectedDust,
  type ExposureFacts,
  entryFeeOf,
  type KillSwitchFacts,
  type MarketFacts,
  type RiskLimits,
  type RiskRule,
  type RiskViolation,
  type SignalFacts,
  type SignalSide,
  type SizingRule,
  type TraderFacts,
} from './facts.ts';
export {
  type DailyLossCheck,
  type HaltResult,
  haltTraderIfDailyLossHit,
  haltTraderUntilNextUtcDay,
} from './halt.ts';
export { type EntryPlan, marketFacts, type PrepareEntryOptions, prepareEntry } from './prepare-entry.ts';
export { RiskRejected } from './risk-rejected.ts';
export {
  fitToLot,
  type LotFacts,
  type LotFit,
  type SizingInput,
  type SizingResult,
  sizeEntry,
} from './sizing.ts';
export { nextUtcMidnight, startOfUtcDay } from './utc-day.ts';
