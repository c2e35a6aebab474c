/**
 * The market the local session trades: the local exchange server replaying OHLCV files (or the
 * seeded market simulator), driven candle by candle by the stack, with every candle the replay
 * reveals written to `public.candles` in the same step — so the paper exchange, the analyst and
 * the worker see exactly the prices the exchange server shows, no sooner and no later.
 *
 * Time: every series is shifted so that its first replayed candle closes at the start of the
 * session (rounded down to the largest interval, keeping candles on their boundaries). At speed
 * 1 the market is then live; faster, the market clock runs ahead of the wall clock, and the
 * stack hands that clock to the worker (shared/time/market-clock.ts). Retention and "recent candles"
 * queries see sensible times either way, whatever year the file comes from.
 *
 * The server's own replay timer is off: the stack steps it, so that "max" speed can wait for the
 * pipeline between candles and a run is reproducible.
 */

import type { SqlClient, SqlQueryable } from '../../shared/db/sql.ts';
import type { Candle } from '../../shared/market-data/candle.ts';
import { upsertCandles } from '../../shared/market-data/candle-store.ts';
import { createMarketSimulator } from '../../shared/market-data/simulator.ts';
import { intervalMs as parseIntervalMs } from '../exchange-server/intervals.ts';
import { readOhlcvFile } from '../exchange-server/replay.ts';
import { type ExchangeServer, startExchangeServer } from '../exchange-server/server.ts';

/** The `public.candles.exchange` the replay writes: the paper exchange's price source. */
export const PAPER_PRICE_SOURCE = 'paper';

/** Markets of the simulator when no file is given, with their opening prices. */
const SIMULATED = [
  { symbol: 'BTC/USDT', price: '30000' },
  { symbol: 'ETH/USDT', price: '2000' },
];
const SIMULATED_TIMEFRAME = '1m';
export const DEFAULT_SIMULATED_CANDLES = 1_440;
export const DEFAULT_WARMUP = 100;

export interface ReplaySeries {
  symbol: string;
  timeframe: string;
  intervalMs: number;
  /** Every candle of the session (history and replay), shifted, oldest first. */
  candles: Candle[];
  /** Index of the candle that is current (the last one revealed). */
  cursor: number;
}

export interface MarketReplayOptions {
  db: SqlClient;
  dataFiles?: string[];
  candles?: number;
  warmup?: number;
  seed?: number;
  /** Wall clock at the start of the session (ms); default Date.now(). */
  startedAt?: number;
  log?: (line: string) => void;
}

export interface TickResult {
  /** Candles revealed by this tick, per symbol. */
  revealed: { symbol: string; candle: Candle }[];
  marketTime: number;
}

export interface MarketReplay {
  exchange: ExchangeServer;
  series: ReplaySeries[];
  symbols: string[];
  /** The market clock: close time of the newest candle revealed (ms). */
  marketTime(): number;
  /** Shortest interval of the replayed series: one tick advances the clock by this much. */
  tickMs: number;
  /** Candles revealed since the start (all series). */
  revealed(): number;
  /** Every series has shown its last candle. */
  ended(): boolean;
  /** Advances the clock by one tick, revealing each candle that closes by then, and stores them. */
  tick(): Promise<TickResult>;
  /** Recent candles of a series (for the analyst), newest last. */
  recent(symbol: string, count: number): Candle[];
  close(): Promise<void>;
}

export async function startMarketReplay(options: MarketReplayOptions): Promise<MarketReplay> {
  const startedAt = options.startedAt ?? Date.now();
  const warmup = Math.max(1, options.warmup ?? DEFAULT_WARMUP);
  const files = options.dataFiles ?? [];
  const series =
    files.length > 0 ? await fromFiles(files, warmup, options.candles) : simulated(warmup, options);
  alignToSession(series, startedAt);

  const exchange = await startExchangeServer({
    feeds: series.map((s) => ({
      symbol: s.symbol,
      interval: s.timeframe,
      candles: s.candles.map(toEngineCandle),
      startIndex: s.cursor,
    })),
    log: options.log ?? (() => {}),
  });
  const { db } = options;
  // The history the replay starts with, so that the analyst has a past from the first tick.
  await db.transaction(async (tx) => {
    for (const s of series) {
      await storeCandles(tx, s, s.candles.slice(0, s.cursor + 1));
    }
  });

  const tickMs = Math.min(...series.map((s) => s.intervalMs));
  let clock = Math.max(...series.map((s) => closeTime(s, s.cursor)));
  let revealedCount = 0;

  return {
    exchange,
    series,
    symbols: series.map((s) => s.symbol),
    marketTime: () => clock,
    tickMs,
    revealed: () => revealedCount,
    ended: () => series.every((s) => s.cursor === s.candles.length - 1),
    async tick() {
      clock += tickMs;
      const revealed: TickResult['revealed'] = [];
      for (const s of series) {
        while (s.cursor < s.candles.length - 1 && closeTime(s, s.cursor + 1) <= clock) {
          exchange.step(1, s.symbol.replace('/', '')); // the venue keys markets by Binance id
          s.cursor += 1;
          revealed.push({ symbol: s.symbol, candle: s.candles[s.cursor]! });
        }
      }
      if (revealed.length > 0) {
        await db.transaction(async (tx) => {
          for (const { symbol, candle } of revealed) {
            const s = series.find((x) => x.symbol === symbol)!;
            await storeCandles(tx, s, [candle]);
          }
        });
      }
      revealedCount += revealed.length;
      return { revealed, marketTime: clock };
    },
    recent(symbol, count) {
      const s = series.find((x) => x.symbol === symbol);
      if (!s) return [];
      return s.candles.slice(Math.max(0, s.cursor + 1 - count), s.cursor + 1);
    },
    close: () => exchange.close(),
  };
}

/** The paper venue (and the monitor) price from 1m candles whatever the replayed interval. */
const PRICE_TIMEFRAME = '1m';
const PRICE_TIMEFRAME_MS = 60_000;

/**
 * Stores revealed candles: in their own timeframe (what the analyst reads), and — for coarser
 * series — each also as the 1m candle of its last minute, carrying the whole candle's range.
 * The paper venue then prices at the same close and matches resting orders against the same
 * high and low as the exchange server, at the moment the candle closes.
 */
async function storeCandles(tx: SqlQueryable, s: ReplaySeries, candles: Candle[]): Promise<void> {
  await upsertCandles(
    tx,
    { exchangeId: PAPER_PRICE_SOURCE, symbol: s.symbol, timeframe: s.timeframe },
    candles,
  );
  if (s.intervalMs <= PRICE_TIMEFRAME_MS) return;
  await upsertCandles(
    tx,
    { exchangeId: PAPER_PRICE_SOURCE, symbol: s.symbol, timeframe: PRICE_TIMEFRAME },
    candles.map((c) => ({ ...c, ts: c.ts + s.intervalMs - PRICE_TIMEFRAME_MS })),
  );
}

function closeTime(s: ReplaySeries, index: number): number {
  return s.candles[index]!.ts + s.intervalMs;
}

async function fromFiles(
  files: string[],
  warmup: number,
  limit: number | undefined,
): Promise<ReplaySeries[]> {
  const result: ReplaySeries[] = [];
  for (const file of files) {
    const { name, candles } = await readOhlcvFile(file);
    const interval = parseIntervalMs(name.interval);
    if (interval === undefined) throw new Error(`${file}: unsupported interval ${name.interval}`);
    if (candles.length < 2) throw new Error(`${file}: a replay needs at least two candles`);
    const symbol = `${name.base}/${name.quote}`;
    if (result.some((s) => s.symbol === symbol)) throw new Error(`${symbol} is given twice (${file})`);
    // Half of a short file at most is history, so that something is left to replay.
    const cursor = Math.min(warmup, Math.floor(candles.length / 2)) - 1;
    const end = limit === undefined ? candles.length : Math.min(candles.length, cursor + 1 + limit);
    result.push({
      symbol,
      timeframe: name.interval,
      intervalMs: interval,
      cursor: Math.max(0, cursor),
      candles: candles.slice(0, end).map((c) => ({
        ts: c.openTime,
        open: c.open.toFixed(),
        high: c.high.toFixed(),
        low: c.low.toFixed(),
        close: c.close.toFixed(),
        volume: c.volume.toFixed(),
      })),
    });
  }
  return result;
}

function simulated(warmup: number, options: MarketReplayOptions): ReplaySeries[] {
  const count = warmup + (options.candles ?? DEFAULT_SIMULATED_CANDLES);
  const interval = parseIntervalMs(SIMULATED_TIMEFRAME)!;
  return SIMULATED.map(({ symbol, price }) => {
    // Generated from time 0 and shifted like a file: the stream depends on the seed alone.
    const simulator = createMarketSimulator({
      seed: options.seed ?? 7,
      symbol,
      timeframe: SIMULATED_TIMEFRAME,
      start: 0,
      startPrice: price,
    });
    const candles = Array.from({ length: count }, () => simulator.next());
    return { symbol, timeframe: SIMULATED_TIMEFRAME, intervalMs: interval, cursor: warmup - 1, candles };
  });
}

/** Shifts every series so that its current candle closes at the session's start. */
function alignToSession(series: ReplaySeries[], startedAt: number): void {
  const largest = Math.max(...series.map((s) => s.intervalMs));
  const anchor = Math.floor(startedAt / largest) * largest;
  for (const s of series) {
    const shift = anchor - closeTime(s, s.cursor);
    if (shift === 0) continue;
    s.candles = s.candles.map((c) => ({ ...c, ts: c.ts + shift }));
  }
}

function toEngineCandle(c: Candle): [number, string, string, string, string, string] {
  return [c.ts, c.open, c.high, c.low, c.close, c.volume];
}
