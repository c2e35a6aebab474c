/**
 * Timeframes in ccxt's notation (`1m`, `5m`, `1h`, `4h`, `1d`, `1w`) and their UTC buckets.
 *
 * Bucket boundaries, which the SQL roll-up mirrors with `date_bin`:
 * - seconds to days: multiples of the timeframe counted from the Unix epoch
 *   (`date_bin(interval, ts, '1970-01-01')`), so `4h` buckets start at 00:00, 04:00, … UTC;
 * - weeks: counted from Monday 1970-01-05 00:00 UTC (`date_bin(interval, ts, '1970-01-05')`,
 *   the same as `date_trunc('week', …)`), the way exchanges open weekly candles.
 * Months (`1M`) are refused: they have no fixed length, so they cannot be bucketed this way.
 */

export type TimeframeUnit = 's' | 'm' | 'h' | 'd' | 'w';

const UNIT_MS: Record<TimeframeUnit, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Monday 1970-01-05 00:00 UTC, the origin of weekly buckets. */
const WEEK_ORIGIN_MS = 4 * UNIT_MS.d;

export type ParsedTimeframe = { timeframe: string; amount: number; unit: TimeframeUnit; ms: number };

export function parseTimeframe(timeframe: string): ParsedTimeframe {
  const match = /^([1-9]\d{0,3})([smhdwM])$/.exec(timeframe);
  if (!match) {
    throw new Error(
      `timeframe "${timeframe}" is not valid: expected a number and a unit (s, m, h, d, w), e.g. 5m`,
    );
  }
  if (match[2] === 'M') {
    throw new Error(`timeframe "${timeframe}" is not supported: months have no fixed length`);
  }
  const amount = Number(match[1]);
  const unit = match[2] as TimeframeUnit;
  return { timeframe, amount, unit, ms: amount * UNIT_MS[unit] };
}

export function timeframeToMs(timeframe: string): number {
  return parseTimeframe(timeframe).ms;
}

/** The shortest name for a duration (`300000` → `5m`), or undefined when no unit divides it. */
export function msToTimeframe(ms: number): string | undefined {
  if (!Number.isSafeInteger(ms) || ms <= 0) return undefined;
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return undefined;
}

/** The open time of the bucket of `timeframe` that contains `ts`. */
export function bucketStart(ts: number, timeframe: string): number {
  const { unit, ms } = parseTimeframe(timeframe);
  const origin = unit === 'w' ? WEEK_ORIGIN_MS : 0;
  return ts - mod(ts - origin, ms);
}

/** True when `ts` is the open time of a `timeframe` bucket. */
export function isOnBoundary(ts: number, timeframe: string): boolean {
  return bucketStart(ts, timeframe) === ts;
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
