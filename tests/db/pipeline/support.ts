/**
 * Pipeline specifications: a user with a funded paper account (10 000 USDT), a trader on it,
 * and 80 one-minute BTC/USDT candles (a gentle uptrend with swings, on which the deterministic
 * analyst answers `wait` with levels at the last close) on the setup's own feed. The pipeline's
 * clock stands at the close of the last candle; tests move it and add candles.
 *
 * Times are anchored two hours before the wall clock: the database stamps signals' expiry
 * with its own clock, and the test clock must not be past it.
 */

import { createDeterministicAnalyst } from '../../../shared/analyst/deterministic-analyst.ts';
import type { Analyst } from '../../../shared/analyst/port.ts';
import type { SqlClient } from '../../../shared/db/sql.ts';
import { fundPaperAccount } from '../../../shared/exchange/paper/index.ts';
import type { Exchange } from '../../../shared/exchange/port.ts';
import type { Candle } from '../../../shared/market-data/candle.ts';
import { upsertCandles } from '../../../shared/market-data/candle-store.ts';
import type { PipelineDeps } from '../../../shared/pipeline/deps.ts';
import { createExchangeForAccount } from '../../../shared/pipeline/exchange-for-account.ts';
import { createHandlers } from '../../../shared/pipeline/handlers.ts';
import type { Job } from '../../../shared/queue/queue-client.ts';
import { paperAccount } from '../../support/builders.ts';
import { createUser } from '../../support/databases.ts';
import { uptrendCandles } from '../../support/markets.ts';

export const MINUTE = 60_000;
export const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - 120 * MINUTE;
export const at = (minute: number) => T0 + minute * MINUTE;
export const SYMBOL = 'BTC/USDT';
export const FILTERS = { tickSize: '0.01', stepSize: '0.00001', minNotional: '5' };

export interface PipelineSetup {
  db: SqlClient;
  owner: string;
  accountId: number;
  traderId: number;
  feed: string;
  clock: { now: number };
  handlers: ReturnType<typeof createHandlers>;
  /** Runs one handler as the worker would, with a job of the given attempt (default 1 of 5). */
  run(
    kind: keyof ReturnType<typeof createHandlers>,
    payload?: Record<string, unknown>,
    attempt?: number,
    maxAttempts?: number,
  ): Promise<void>;
  /** Writes a 1m candle [open, high, low, close] at `minute`. */
  candle(minute: number, ohlc: [string, string, string, string]): Promise<void>;
  signal(fields?: {
    entry?: string;
    stop?: string;
    takeProfit?: string;
    expiresAt?: number;
  }): Promise<number>;
  status(signalId: number): Promise<string>;
}

export interface SetupOptions {
  analyst?: Analyst;
  /** Wraps the account's exchange (fault injection, a venue without native stops). */
  wrap?: (exchange: Exchange) => Exchange;
  deps?: Partial<PipelineDeps>;
}

let feeds = 0;

/** The uptrend: close = 100 + 0.05·i + 0.3·sin(i/2), bars 0–79 (tests/support/markets.ts). */
export function uptrend(count = 80): Candle[] {
  return uptrendCandles(count, at);
}

export async function pipelineSetup(db: SqlClient, options: SetupOptions = {}): Promise<PipelineSetup> {
  const owner = await createUser(db);
  const accountId = await paperAccount(db, owner);
  await fundPaperAccount(db, accountId, { USDT: '10000' });
  const [trader] = await db.query<{ id: number }>(
    `insert into public.traders (owner, name, account_id, sizing_rule, sizing_value, analysis_interval)
     values ($1, 'Pipeline trader', $2, 'fixed_quote', 100, '1 minute') returning id`,
    [owner, accountId],
  );
  const feed = `pipeline_${++feeds}_${Math.random().toString(36).slice(2, 6)}`;
  await upsertCandles(db, { exchangeId: feed, symbol: SYMBOL, timeframe: '1m' }, uptrend());
  const clock = { now: at(80) };
  const paperVenue = { priceSource: feed, markets: { [SYMBOL]: FILTERS } };
  const exchangeFor = createExchangeForAccount({ clock: () => clock.now, paperVenue });
  const handlers = createHandlers({
    analyst: options.analyst ?? createDeterministicAnalyst({ clock: () => 0 }),
    exchangeFor: async (database, id) => {
      const exchange = await exchangeFor(database, id);
      return options.wrap ? options.wrap(exchange) : exchange;
    },
    now: () => clock.now,
    paperVenue,
    ...options.deps,
  });
  let jobs = 0;
  const run: PipelineSetup['run'] = (kind, payload = {}, attempt = 1, maxAttempts = 5) => {
    const job: Job = { id: ++jobs, kind, payload, attempts: attempt, maxAttempts, leaseToken: 'test' };
    return handlers[kind](job, { db, now: () => clock.now });
  };
  return {
    db,
    owner,
    accountId,
    traderId: trader!.id,
    feed,
    clock,
    handlers,
    run,
    candle: async (minute, [open, high, low, close]) => {
      await upsertCandles(db, { exchangeId: feed, symbol: SYMBOL, timeframe: '1m' }, [
        { ts: at(minute), open, high, low, close, volume: '10' },
      ]);
    },
    signal: async (fields = {}) => {
      const [row] = await db.query<{ id: number }>(
        `insert into public.signals (owner, trader_id, symbol, side, timeframe, entry_price, stop_loss, take_profit, expires_at)
         values ($1, $2, $3, 'long', '1m', $4, $5, $6,
                 coalesce(timestamptz 'epoch' + $7::float8 * interval '1 millisecond', now() + interval '1 day'))
         returning id`,
        [
          owner,
          trader!.id,
          SYMBOL,
          fields.entry ?? null,
          fields.stop ?? null,
          fields.takeProfit ?? null,
          fields.expiresAt ?? null,
        ],
      );
      return row!.id;
    },
    status: async (signalId) => {
      const [row] = await db.query<{ status: string }>('select status from public.signals where id = $1', [
        signalId,
      ]);
      return row!.status;
    },
  };
}

/** A ready signal with an entry that has filled and been synced (in position). */
export async function signalInPosition(
  setup: PipelineSetup,
  levels = { stop: '103.5', takeProfit: '105.5' },
): Promise<number> {
  const id = await setup.signal({ entry: '104.24', stop: levels.stop, takeProfit: levels.takeProfit });
  await setup.run('analyse', { signal_id: id });
  await setup.run('monitor');
  await setup.run('execute', { signal_id: id });
  return id;
}

export interface LegRow {
  id: number;
  leg: string;
  attempt: number;
  client_order_id: string;
  type: string;
  side: string;
  status: string;
  amount: string;
  filled_amount: string;
  stop_price: string | null;
  emulated: boolean;
  oco_group: string | null;
}

export async function ordersOf(db: SqlClient, signalId: number): Promise<LegRow[]> {
  return db.query<LegRow>(
    `select o.id, so.leg, so.attempt, o.client_order_id, o.type, o.side, o.status, o.amount::text as amount,
            o.filled_amount::text as filled_amount, o.stop_price::text as stop_price, o.emulated, o.oco_group
       from public.signal_orders so join public.orders o on o.id = so.order_id
      where so.signal_id = $1 order by o.id`,
    [signalId],
  );
}

/** Orders the paper venue holds for a signal (what "the exchange" has), by client order id. */
export async function venueOrders(
  db: SqlClient,
  signalId: number,
): Promise<{ client_order_id: string; status: string }[]> {
  return db.query(
    `select client_order_id, status from internal.paper_orders where client_order_id like $1 order by id`,
    [`tf-${signalId}-%`],
  );
}

/** The exchange with some methods replaced (fault injection, a different market); the rest pass through. */
export function withOverrides(exchange: Exchange, overrides: Partial<Exchange>): Exchange {
  return new Proxy(exchange, {
    get(target, property, receiver) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Exchange];
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A venue without native stop orders: every protective leg is emulated by the worker. */
export function withoutNativeStops(exchange: Exchange): Exchange {
  return withOverrides(exchange, {
    market: async (symbol) => ({
      ...(await exchange.market(symbol)),
      nativeStopLoss: false,
      nativeTakeProfit: false,
    }),
  });
}
