/** The sync job: orders, fills, positions and signal P&L brought in line with the exchange. */
export { type CancelOutcome, cancelAndRecord } from './cancel.ts';
export { type CloseResult, closeFlatSignals } from './close-signals.ts';
export { settleEmulatedLegs } from './emulated-legs.ts';
export { type FillOutcome, recordFill } from './fills.ts';
export { type MarkedPosition, markToMarket } from './mark-to-market.ts';
export { cancelOcoSiblings, type OcoResult } from './oco.ts';
export { type SyncOptions, type SyncReport, syncAccount } from './sync-account.ts';
export { SYNC_ACTOR } from './transaction.ts';
