/**
 * Crash injection on the money path: a worker executing and protecting signals (real ccxt
 * client against the local Binance-compatible exchange, real PostgreSQL) is killed with
 * SIGKILL at random moments, many times, and restarted. Afterwards every signal has exactly
 * one entry order on the exchange, one stop-loss, no order the database does not know about,
 * and a consistent state.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ExchangeServer, startExchangeServer } from '../../../platform/exchange-server/server.ts';
import { repoRoot } from '../../../platform/paths.ts';
import { parseClientOrderId } from '../../../shared/exchange/client-order-id.ts';
import {
  encryptSecret,
  loadMasterKeys,
  newUserSalt,
  serializeEnvelope,
} from '../../../shared/vault/index.ts';
import { advanceSignal } from '../../support/builders.ts';
import { createUser, freshDatabase, type TestDatabase } from '../../support/databases.ts';

const SYMBOLS = [
  'BTC/USDT',
  'ETH/USDT',
  'SOL/USDT',
  'AVAX/USDT',
  'ADA/USDT',
  'DOT/USDT',
  'LTC/USDT',
  'BNB/USDT',
];
const KILLS = 12;
const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
const API_KEY = 'crash-test-key';

let database: TestDatabase;
let server: ExchangeServer;
let worker: ChildProcess | undefined;
const signalIds: number[] = [];

/**
 * A flat market at 100 so that levels and sizes are easy to reason about. None of the symbols
 * has Binance's real filters in the local exchange (XRP/USDT's 0.1 lot at a price of 100 would
 * turn a 20 USDT entry into 0.1 and its base fee into unsellable dust), so each gets a grid
 * derived from its price.
 */
const flatCandles = (start: number) =>
  Array.from({ length: 30 }, (_, i) => [start + i * 60_000, 100, 100.5, 99.5, 100, 1000] as const);

function startWorker(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/worker-process.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: url,
      TRADEFLOW_MASTER_KEY: MASTER_KEY,
      TRADEFLOW_EXCHANGE_URLS: JSON.stringify({ binance: server.url }),
      WORKER_KINDS: 'execute,protect,sync',
      WORKER_LEASE_SECONDS: '2',
      // A killed send may still execute until its request times out: placement waits this long
      // before deciding the order never reached the venue (production default: 60 s).
      TRADEFLOW_EXCHANGE_TIMEOUT_MS: '2000',
      TRADEFLOW_ORDER_IN_FLIGHT_MS: '5000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('worker ready')) resolve(child);
    });
    child.stderr!.on('data', () => {}); // drained; errors are expected mid-crash
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

beforeAll(async () => {
  const start = Date.now() - 30 * 60_000;
  server = await startExchangeServer({
    feeds: SYMBOLS.map((symbol) => ({
      symbol,
      interval: '1m',
      candles: flatCandles(start).map((c) => [...c]),
      startIndex: 29,
    })),
  });
  // Orders take 20–120 ms on the venue, so kills land while calls are in flight.
  server.injectFault({ method: 'POST', path: '/api/v3/order', fault: { kind: 'latency', ms: 70 } });

  database = await freshDatabase('postgres');
  const { db } = database;
  const owner = await createUser(db);
  const keyring = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: MASTER_KEY });
  const [account] = await db.query<{ id: number }>(
    `insert into public.exchange_accounts (owner, exchange, mode, label, api_key_ciphertext, api_secret_ciphertext,
       key_salt, key_version, permissions)
     values ($1, 'binance', 'testnet', 'Crash test', 'x', 'x', 'x', 1, array['read', 'trade']) returning id`,
    [owner],
  );
  const salt = newUserSalt();
  const context = { userId: owner, accountId: String(account!.id), userSalt: salt };
  await db.query(
    `update public.exchange_accounts set api_key_ciphertext = $2, api_secret_ciphertext = $3, key_salt = $4 where id = $1`,
    [
      account!.id,
      serializeEnvelope(await encryptSecret(keyring, API_KEY, context)),
      serializeEnvelope(await encryptSecret(keyring, 'crash-test-secret', context)),
      salt,
    ],
  );
  const [trader] = await db.query<{ id: number }>(
    `insert into public.traders (owner, name, account_id, sizing_rule, sizing_value, max_positions)
     values ($1, 'Crash trader', $2, 'fixed_quote', 20, 50) returning id`,
    [owner, account!.id],
  );
  for (const symbol of SYMBOLS) {
    const [signal] = await db.query<{ id: number }>(
      `insert into public.signals (owner, trader_id, symbol, side, stop_loss, take_profit)
       values ($1, $2, $3, 'long', 95, 105) returning id`,
      [owner, trader!.id, symbol],
    );
    signalIds.push(signal!.id);
  }
  await db.query(`delete from queue.jobs where kind = 'analyse'`);
  for (const id of signalIds) await advanceSignal(db, id, 'analyzing', 'monitoring', 'ready');
  // Kills count as failed attempts; give the jobs room so that crashes never dead-letter them.
  await db.query('update queue.jobs set max_attempts = 100');
}, 60_000);

afterAll(async () => {
  if (worker) await kill(worker);
  await database?.close();
  await server?.close();
});

it(`leaves exactly one entry and one stop-loss per signal after ${KILLS} SIGKILLs mid-execute/protect`, async () => {
  const { db } = database;
  let killedMidJob = 0;
  for (let i = 0; i < KILLS; i++) {
    worker = await startWorker(database.url!);
    await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 700));
    const running = await db.query(
      `select 1 from queue.jobs where status = 'running' and locked_by = $1 and kind in ('execute', 'protect')`,
      [`crash-${worker.pid}`],
    );
    if (running.length > 0) killedMidJob++;
    await kill(worker);
  }
  // The kills must land on work in flight, not between jobs, or this test proves nothing.
  expect(killedMidJob).toBeGreaterThanOrEqual(3);
  worker = await startWorker(database.url!);

  // Let the last worker finish: every signal protected, or refused, and the queue settled.
  await expect
    .poll(
      async () => {
        // Kills count as failed attempts, so retries back off for up to a minute; the backoff is
        // not what this test is about, so let that time pass at once.
        await db.query(`update queue.jobs set run_at = now() where status = 'queued' and run_at > now()`);
        const unsettled = await db.query<{ what: string }>(
          `select 'signal ' || id || ' ' || status as what from public.signals
            where id = any($1::bigint[]) and status not in ('in_position', 'rejected', 'failed', 'closed')
           union all
           select 'job ' || kind || ' ' || status || ' ' || payload::text || ' ' || coalesce(last_error, '')
             from queue.jobs where kind in ('execute', 'protect')`,
          [signalIds],
        );
        return unsettled.map((row) => row.what);
      },
      { timeout: 90_000, interval: 500 },
    )
    .toEqual([]);
  await db.query(`select queue.enqueue('sync', '{}', 'final-sync')`);
  await expect
    .poll(async () => (await db.query(`select 1 from queue.jobs where kind = 'sync'`)).length, {
      timeout: 30_000,
    })
    .toBe(0);

  const onExchange = server.orders(API_KEY);
  const known = new Set(
    (await db.query<{ client_order_id: string }>('select client_order_id from public.orders')).map(
      (r) => r.client_order_id,
    ),
  );
  // No exposure the database does not know about.
  expect(onExchange.filter((order) => !known.has(order.clientOrderId)).map((o) => o.clientOrderId)).toEqual(
    [],
  );

  const signals = await db.query<{ id: number; status: string }>(
    'select id, status from public.signals where id = any($1::bigint[]) order by id',
    [signalIds],
  );
  expect(signals.map((s) => s.status)).toEqual(signalIds.map(() => 'in_position'));

  for (const { id } of signals) {
    const mine = onExchange.filter((order) => parseClientOrderId(order.clientOrderId)?.intent === String(id));
    const entries = mine.filter((order) => parseClientOrderId(order.clientOrderId)?.leg === 'entry');
    expect({ signal: id, entries: entries.map((o) => o.status) }).toEqual({
      signal: id,
      entries: ['FILLED'],
    });
    const liveStops = mine.filter(
      (order) => parseClientOrderId(order.clientOrderId)?.leg === 'stop_loss' && order.status === 'NEW',
    );
    expect({ signal: id, liveStops: liveStops.length }).toEqual({ signal: id, liveStops: 1 });
  }

  // The database agrees with the exchange: entries filled, one live protective leg of each kind.
  const legs = await db.query<{ signal_id: number; leg: string; status: string; n: number }>(
    `select so.signal_id, so.leg, o.status, count(*)::int as n
       from public.signal_orders so join public.orders o on o.id = so.order_id
      where so.signal_id = any($1::bigint[]) and o.status in ('open', 'filled', 'pending', 'unknown', 'partially_filled')
      group by 1, 2, 3 order by 1, 2, 3`,
    [signalIds],
  );
  for (const id of signalIds) {
    expect(legs.filter((l) => l.signal_id === id).map((l) => [l.leg, l.status, l.n])).toEqual([
      ['entry', 'filled', 1],
      ['stop_loss', 'open', 1],
      ['take_profit', 'open', 1],
    ]);
  }
  const [positions] = await db.query<{ n: number }>(
    `select count(*)::int as n from public.positions where status = 'open' and amount > 0`,
  );
  expect(positions!.n).toBe(SYMBOLS.length);
}, 240_000);
