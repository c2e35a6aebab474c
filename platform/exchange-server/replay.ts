/**
 * Replayed market data: one feed of candles per market with a cursor. The candle under the cursor
 * is the one that has just closed; clients see it and everything before it, never what comes
 * after. Each feed keeps its own clock (the close time of its current candle), so data files from
 * different years can be replayed side by side.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Candle, MarketSpec } from '../../shared/exchange/matching/types.ts';
import { type Dec, dec } from '../../shared/money/decimal.ts';
import { intervalMs } from './intervals.ts';

export class ReplayFeed {
  readonly market: MarketSpec;
  readonly intervalMs: number;
  private readonly candles: Candle[];
  private readonly next: (() => Candle) | undefined;
  private cursor: number;

  /**
   * @param candles the known candles, oldest first, at a regular interval (gaps allowed)
   * @param startIndex the candle that is current when the replay starts
   * @param next produces further candles after the last one (a generator); without it the feed
   *   stops at its last candle
   */
  constructor(
    market: MarketSpec,
    interval: number,
    candles: Candle[],
    startIndex: number,
    next?: () => Candle,
  ) {
    if (candles.length === 0) throw new Error(`feed ${market.symbol} has no candles`);
    this.market = market;
    this.intervalMs = interval;
    this.candles = candles;
    this.next = next;
    this.cursor = Math.max(0, Math.min(startIndex, candles.length - 1));
  }

  get symbol(): string {
    return this.market.symbol;
  }

  current(): Candle {
    return this.candles[this.cursor]!;
  }

  /** The feed's clock: the close time of the current candle. */
  now(): number {
    return this.current().openTime + this.intervalMs;
  }

  /** Moves to the next candle; undefined when a file-backed feed has run out. */
  advance(): Candle | undefined {
    if (this.cursor === this.candles.length - 1) {
      if (!this.next) return undefined;
      this.candles.push(this.next());
    }
    this.cursor += 1;
    return this.current();
  }

  /** Candles the market has already shown, oldest first. */
  visible(): Candle[] {
    return this.candles.slice(0, this.cursor + 1);
  }

  /** Visible candles re-bucketed to `targetMs` (a multiple of the feed's interval), aligned to the epoch. */
  aggregated(targetMs: number): Candle[] {
    const visible = this.visible();
    if (targetMs === this.intervalMs) return visible;
    const buckets: Candle[] = [];
    for (const candle of visible) {
      const openTime = Math.floor(candle.openTime / targetMs) * targetMs;
      const last = buckets.at(-1);
      if (last && last.openTime === openTime) {
        last.high = maxOf(last.high, candle.high);
        last.low = minOf(last.low, candle.low);
        last.close = candle.close;
        last.volume = last.volume.plus(candle.volume);
      } else {
        buckets.push({ ...candle, openTime });
      }
    }
    return buckets;
  }
}

function maxOf(a: Dec, b: Dec): Dec {
  return a.gt(b) ? a : b;
}

function minOf(a: Dec, b: Dec): Dec {
  return a.lt(b) ? a : b;
}

/** What an OHLCV file is about, read from its name: `ETH_BTC-5m.json` → ETH, BTC, 5m. */
export interface OhlcvFileName {
  base: string;
  quote: string;
  interval: string;
}

export function parseOhlcvFileName(path: string): OhlcvFileName {
  const name = basename(path)
    .replace(/\.json$/, '')
    .replace(/^futures__/, '')
    .replace(/-futures$/, '');
  const match = /^([A-Za-z0-9]+)_([A-Za-z0-9]+)(?:_[A-Za-z0-9]+)?-(\d+[smhdw])$/.exec(name);
  if (!match)
    throw new Error(`cannot tell the market from the file name ${path} (expected BASE_QUOTE-5m.json)`);
  return { base: match[1]!.toUpperCase(), quote: match[2]!.toUpperCase(), interval: match[3]! };
}

/** Reads `[open_time_ms, open, high, low, close, volume]` rows (see ../shared/data/README.md). */
export async function readOhlcvFile(path: string): Promise<{ name: OhlcvFileName; candles: Candle[] }> {
  const name = parseOhlcvFileName(path);
  if (intervalMs(name.interval) === undefined) throw new Error(`unsupported interval in ${path}`);
  const rows: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!Array.isArray(rows)) throw new Error(`${path}: expected a JSON array of rows`);
  const candles = rows.map((row, i) => {
    if (!Array.isArray(row) || row.length < 6) throw new Error(`${path}: row ${i} is not [t, o, h, l, c, v]`);
    const [t, o, h, l, c, v] = row as [number, number, number, number, number, number];
    // JSON numbers go through their shortest decimal form, so 0.0123 stays exactly 0.0123.
    return { openTime: Number(t), open: dec(o), high: dec(h), low: dec(l), close: dec(c), volume: dec(v) };
  });
  return { name, candles };
}
