/** Binance kline intervals and their length. `1M` (calendar month) is not replayed. */
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export const BINANCE_INTERVALS = [
  '1s',
  '1m',
  '3m',
  '5m',
  '15m',
  '30m',
  '1h',
  '2h',
  '4h',
  '6h',
  '8h',
  '12h',
  '1d',
  '3d',
  '1w',
  '1M',
] as const;

/** Length of an interval such as `5m` in milliseconds, or undefined when it is not a fixed length. */
export function intervalMs(interval: string): number | undefined {
  const match = /^(\d+)([smhdw])$/.exec(interval);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** The Binance name of an interval length, e.g. 300000 → `5m`. */
export function intervalName(ms: number): string {
  for (const name of BINANCE_INTERVALS) if (intervalMs(name) === ms) return name;
  throw new Error(`no Binance interval is ${ms} ms long`);
}
