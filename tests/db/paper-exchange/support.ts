/** Builders for paper exchange specifications: a funded paper account trading BTC/USDT on feed `paper`. */

import type { SqlClient } from '../../../shared/db/sql.ts';
import {
  fundPaperAccount,
  PaperExchange,
  type PaperVenueOptions,
} from '../../../shared/exchange/paper/index.ts';
import { upsertCandles } from '../../../shared/market-data/candle-store.ts';
import { paperAccount } from '../../support/builders.ts';
import { createUser } from '../../support/databases.ts';

export const MINUTE = 60_000;
/** 2026-01-01T00:00Z: minute 0 of every test market. */
export const T0 = Date.UTC(2026, 0, 1);
export const at = (minute: number) => T0 + minute * MINUTE;

/** Binance's BTCUSDT filters, so hand-computed numbers look familiar. */
export const BTCUSDT_FILTERS = { tickSize: '0.01', stepSize: '0.00001', minNotional: '5' };

export interface PaperSetup {
  owner: string;
  accountId: number;
  exchange: PaperExchange;
  /** The venue clock; tests move it. */
  clock: { now: number };
  /** The candle feed (`public.candles.exchange`) this setup's venue trades on. */
  feed: string;
  /** A new PaperExchange on the same database and account (a restart). */
  restart(options?: PaperVenueOptions): PaperExchange;
  /** Writes a 1m BTC/USDT candle [open, high, low, close] at `minute` on the feed. */
  candle(minute: number, ohlc: [string, string, string, string]): Promise<void>;
  /** A flat candle at `price`. */
  flat(minute: number, price: string): Promise<void>;
}

let feeds = 0;

/** A new user with a paper account funded with `funding` (default 10 000 USDT). */
export async function paperSetup(
  db: SqlClient,
  options: PaperVenueOptions & { funding?: Record<string, string> } = {},
): Promise<PaperSetup> {
  const { funding, ...venue } = options;
  const owner = await createUser(db);
  const accountId = await paperAccount(db, owner);
  await fundPaperAccount(db, accountId, funding ?? { USDT: '10000' });
  const clock = { now: at(1) };
  const feed = `paper_test_${++feeds}_${Math.random().toString(36).slice(2, 6)}`;
  const make = (extra: PaperVenueOptions = {}) =>
    new PaperExchange({
      db,
      accountId,
      clock: () => clock.now,
      priceSource: feed,
      markets: { 'BTC/USDT': BTCUSDT_FILTERS },
      ...venue,
      ...extra,
    });
  const candle = async (minute: number, [open, high, low, close]: [string, string, string, string]) => {
    await upsertCandles(db, { exchangeId: feed, symbol: 'BTC/USDT', timeframe: '1m' }, [
      { ts: at(minute), open, high, low, close, volume: '10' },
    ]);
  };
  return {
    owner,
    accountId,
    exchange: make(),
    clock,
    feed,
    restart: make,
    candle,
    flat: (minute, price) => candle(minute, [price, price, price, price]),
  };
}

/** Balances as { asset: [free, locked] } with canonical decimals, zero lines left out. */
export async function balancesOf(exchange: PaperExchange): Promise<Record<string, [string, string]>> {
  const lines = await exchange.balance();
  const out: Record<string, [string, string]> = {};
  for (const line of lines) {
    if (line.total !== '0') out[line.asset] = [line.free, line.used];
  }
  return out;
}

let sequence = 0;
/** A fresh client order id. */
export const cid = () => `tf-test-${++sequence}-${Math.random().toString(36).slice(2, 8)}`;
