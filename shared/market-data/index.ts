/**
 * Market data (issue 3, item 9), the pure part: candle types, timeframes and UTC buckets,
 * gap detection, roll-ups, the OHLCV JSON loader and the seeded market simulator. Runtime-
 * agnostic (no file or network access): callers read files and fetch from exchanges.
 */
export type { Candle } from './candle.ts';
export { countMissingBars, findGaps, type Gap, type GapWindow } from './gaps.ts';
export {
  describeOhlcvFileName,
  type IrregularStep,
  type OhlcvFileName,
  type OhlcvSeries,
  parseOhlcvJson,
} from './ohlcv-file.ts';
export { createRandom, type RandomSource } from './random.ts';
export { type RolledCandle, type RollUpOptions, rollUp } from './roll-up.ts';
export {
  createMarketSimulator,
  type MarketSimulator,
  type MarketSimulatorOptions,
  type Regime,
  simulateMarket,
} from './simulator.ts';
export {
  bucketStart,
  isOnBoundary,
  msToTimeframe,
  type ParsedTimeframe,
  parseTimeframe,
  type TimeframeUnit,
  timeframeToMs,
} from './timeframe.ts';
