/** Position accounting from fills: amount held, average entry, fees in quote, realised and unrealised P&L, dust. */
export { closableAmount, type Flatness, flatness, type MarketLimits } from './dust.ts';
export {
  applyFill,
  EMPTY_POSITION,
  type FillEffect,
  type FillFee,
  feeOf,
  type PairAssets,
  type PositionFill,
  type PositionSide,
  type PositionState,
  positionFromFills,
  unrealizedPnl,
} from './ledger.ts';
