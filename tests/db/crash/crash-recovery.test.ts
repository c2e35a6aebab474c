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
import {
  createTestnetTrader,
  expectOneProtectedEntryPerSignal,
  flatFeeds,
  readySignal,
  settleAfterCrashes,
  slowOrders,
} from '../../support/crash-checks.ts';
import { freshDatabase, type TestDatabase } from '../../support/databases.ts';
import { killNow } from '../../support/processes.ts';

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

beforeAll(async () => {
  server = await startExchangeServer({ feeds: flatFeeds(SYMBOLS) });
  slowOrders(server);

  database = await freshDatabase('postgres');
  const { db } = database;
  const trader = await createTestnetTrader(db, {
    masterKey: MASTER_KEY,
    apiKey: API_KEY,
    apiSecret: 'crash-test-secret',
  });
  for (const symbol of SYMBOLS) signalIds.push(await readySignal(db, trader, symbol));
  // The worker handles execute, protect and sync only: the analyse jobs stay unclaimed.
  await db.query(`delete from queue.jobs where kind = 'analyse'`);
  // Kills count as failed attempts; give the jobs room so that crashes never dead-letter them.
  await db.query('update queue.jobs set max_attempts = 100');
}, 60_000);

afterAll(async () => {
  if (worker) await killNow(worker);
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
    await killNow(worker);
  }
  // The kills must land on work in flight, not between jobs, or this test proves nothing.
  expect(killedMidJob).toBeGreaterThanOrEqual(3);
  worker = await startWorker(database.url!);

  // Let the last worker finish: every signal protected, or refused, and the queue settled.
  await settleAfterCrashes(db, signalIds);
  await expectOneProtectedEntryPerSignal(db, server.orders(API_KEY), signalIds);
}, 240_000);
