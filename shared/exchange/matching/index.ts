/** Public surface of the matching engine. */
export { Balances } from './balances.ts';
export {
  isOpen,
  MatchingEngine,
  type MatchingEngineOptions,
  type OrderRef,
  type PlaceOptions,
} from './engine.ts';
export { type FeeSchedule, feeSchedule, type Settlement, settleFill } from './fees.ts';
export { type FilterName, OrderRejected, type RejectionReason } from './rejections.ts';
export { triggerDirection, triggerPriceInCandle } from './triggers.ts';
export * from './types.ts';
