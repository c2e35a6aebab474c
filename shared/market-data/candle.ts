/**
 * A candle as the system stores it. Prices and volume are decimal strings because they live in
 * `numeric` columns and are compared exactly (arithmetic goes through `shared/money/decimal.ts`).
 */
export type Candle = {
  /** Open time, milliseconds since the epoch, UTC. */
  ts: number;
  open: string;
  high: string;
  low: string;
  close: string;
  /** Traded amount in the base asset. */
  volume: string;
};
