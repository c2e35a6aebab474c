/**
 * Loader for OHLCV JSON files (`../shared/data/ohlcv/*.json`, freqtrade's layout): one array of
 * `[open_time_ms, open, high, low, close, volume]` number rows, oldest first.
 *
 * Pure: it takes the file's text and name, never reads a file itself, so it runs the same in
 * Deno, Node and tests. A malformed row is refused with its index; missing bars are not an
 * error (real feeds have them) but are reported, so callers can decide.
 */
import { z } from 'zod';
import { dec } from '../money/decimal.ts';
import type { Candle } from './candle.ts';
import { countMissingBars, findGaps, type Gap } from './gaps.ts';
import { msToTimeframe, timeframeToMs } from './timeframe.ts';

export type OhlcvFileName = {
  /** ccxt symbol: `ETH/BTC`, or `XRP/USDT:USDT` for a futures market settled in USDT. */
  symbol: string;
  timeframe: string;
  /** freqtrade's candle type suffix (`futures`, `mark`, …); `spot` when there is none. */
  candleType: string;
};

/** A step between consecutive rows that is not exactly one bar. */
export type IrregularStep = {
  /** Index of the row after the step. */
  index: number;
  /** Open times of the rows before and after. */
  from: number;
  to: number;
  /** `gap`: a whole number of bars is missing; `misaligned`: the step is not a multiple of the timeframe. */
  kind: 'gap' | 'misaligned';
};

export type OhlcvSeries = {
  symbol?: string;
  timeframe: string;
  candles: Candle[];
  irregularSteps: IrregularStep[];
  gaps: Gap[];
  missingBars: number;
};

const FIELDS = ['open_time', 'open', 'high', 'low', 'close', 'volume'] as const;

/** 2000-01-01: anything earlier is almost certainly seconds given where milliseconds are expected. */
const EARLIEST_OPEN_TIME_MS = 946_684_800_000;

const price = z.number().finite().positive();
const rowSchema = z.tuple([
  z
    .number()
    .int()
    .refine((ts) => ts >= EARLIEST_OPEN_TIME_MS, 'must be milliseconds since the epoch (seconds given?)'),
  price,
  price,
  price,
  price,
  z.number().finite().nonnegative(),
]);
const fileSchema = z.array(rowSchema);

const MAX_REPORTED_PROBLEMS = 5;

/**
 * Parses and validates an OHLCV file. The timeframe is taken from the options (for instance
 * from `describeOhlcvFileName`) or, failing that, inferred from the most common step.
 */
export function parseOhlcvJson(
  text: string,
  options: { symbol?: string; timeframe?: string } = {},
): OhlcvSeries {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`OHLCV file is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(json)) {
    throw new Error('OHLCV file must be a JSON array of [open_time_ms, open, high, low, close, volume] rows');
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw badRows(parsed.error.issues.map(describeIssue));
  const rows = parsed.data;

  // Checks across fields and rows, once every value is known to be a valid number. Comparing the
  // parsed doubles is safe here: rounding decimal text to a double never reverses an order.
  const problems: string[] = [];
  rows.forEach(([ts, open, high, low, close], index) => {
    if (high < Math.max(open, close, low))
      problems.push(`row ${index} high: high is below open, close or low`);
    if (low > Math.min(open, close)) problems.push(`row ${index} low: low is above open or close`);
    const previous = rows[index - 1];
    if (previous && ts <= previous[0]) {
      problems.push(
        `row ${index}: open time ${ts} is not after row ${index - 1} (${previous[0]}); ` +
          'rows must be oldest first without duplicates',
      );
    }
  });
  if (problems.length > 0) throw badRows(problems);

  const timeframe = options.timeframe ?? inferTimeframe(rows.map((row) => row[0]));
  const step = timeframeToMs(timeframe);
  const candles = rows.map(([ts, open, high, low, close, volume]) => ({
    ts,
    open: decimalString(open),
    high: decimalString(high),
    low: decimalString(low),
    close: decimalString(close),
    volume: decimalString(volume),
  }));

  const irregularSteps: IrregularStep[] = [];
  for (let index = 1; index < rows.length; index++) {
    const from = rows[index - 1]![0];
    const to = rows[index]![0];
    if (to - from !== step) {
      irregularSteps.push({ index, from, to, kind: (to - from) % step === 0 ? 'gap' : 'misaligned' });
    }
  }
  const gaps = findGaps(candles, timeframe);
  return {
    ...(options.symbol === undefined ? {} : { symbol: options.symbol }),
    timeframe,
    candles,
    irregularSteps,
    gaps,
    missingBars: countMissingBars(gaps),
  };
}

/**
 * Reads symbol and timeframe from a file name in freqtrade's convention:
 * `ETH_BTC-5m.json` → `ETH/BTC`, `5m`; `XRP_USDT_USDT-5m-futures.json` → `XRP/USDT:USDT`, `5m`,
 * `futures`. A leading folder (`data/`, or `futures__` as in a flattened copy) is ignored.
 * Pure: it looks at the string only.
 */
export function describeOhlcvFileName(name: string): OhlcvFileName {
  const base = (name.split(/[\\/]/).pop() ?? '').split('__').pop() ?? '';
  const match = /^([A-Za-z0-9]+)_([A-Za-z0-9]+)(?:_([A-Za-z0-9]+))?-(\w+?)(?:-([a-z_]+))?\.json$/.exec(base);
  if (!match) {
    throw new Error(
      `cannot read a symbol and timeframe from the file name "${name}": expected <BASE>_<QUOTE>-<timeframe>.json, ` +
        'e.g. ETH_BTC-5m.json',
    );
  }
  const [, baseAsset, quote, settle, timeframe, candleType] = match;
  timeframeToMs(timeframe!); // refuses an unknown timeframe with its own message
  return {
    symbol: `${baseAsset}/${quote}${settle ? `:${settle}` : ''}`,
    timeframe: timeframe!,
    candleType: candleType ?? 'spot',
  };
}

function inferTimeframe(times: number[]): string {
  if (times.length < 2) {
    throw new Error('cannot infer the timeframe from fewer than 2 rows: pass { timeframe }');
  }
  const counts = new Map<number, number>();
  for (let i = 1; i < times.length; i++) {
    const step = times[i]! - times[i - 1]!;
    counts.set(step, (counts.get(step) ?? 0) + 1);
  }
  const [step] = [...counts].reduce((best, entry) => (entry[1] > best[1] ? entry : best));
  const timeframe = msToTimeframe(step);
  if (!timeframe) throw new Error(`cannot infer the timeframe: the most common step is ${step} ms`);
  return timeframe;
}

function badRows(problems: string[]): Error {
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
  const more = problems.length - shown.length;
  return new Error(`OHLCV file has bad rows: ${shown.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`);
}

/** Canonical decimal text of a JSON number (no exponent: `1e-7` becomes `0.0000001`). */
function decimalString(value: number): string {
  return dec(value).toFixed();
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const [row, field] = issue.path;
  if (typeof row !== 'number') return issue.message;
  const fieldName = typeof field === 'number' ? ` ${FIELDS[field] ?? `column ${field}`}` : '';
  return `row ${row}${fieldName}: ${issue.message}`;
}
