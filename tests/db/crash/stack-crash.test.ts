/**
 * Crash injection on the running local stack: the real Deno worker behind the stack's
 * dispatcher, on real PostgreSQL (the stack's DATABASE_URL mode), executing and protecting
 * signals of a testnet account through the real ccxt client against the local exchange server
 * (orders slowed down so that kills land mid-call). Again and again, at random moments while a
 * job holds its lease, the test kills with SIGKILL
 *   - the Deno worker process: the stack's supervisor must start it again on its own;
 *   - the stack's Node process itself, with the dispatcher in it: its Deno children must go with
 *     it (none may keep working on as an orphan), and the test starts the stack again on the
 *     same database, as a user would.
 * After a final restart and reconciliation, the exchange and the database agree: exactly one
 * entry order per signal on the exchange, no working protective order without a live position,
 * no exchange order unknown to the database, every signal in position and protected.
 *
 * The exchange server lives in the test's process, so that what it holds survives the stack's
 * deaths. A killed worker's jobs would come back when their leases expire and pg_cron's sweep
 * runs (a minute each): the test expires the leases of each process it killed — known dead —
 * at once and plays the sweep every 250 ms, so that recovery takes seconds; killing is what is
 * tested, not the cron's pace. A live worker's lease is never touched.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ExchangeServer, startExchangeServer } from '../../../platform/exchange-server/server.ts';
import { loadOrCreateSecrets } from '../../../platform/stack/secrets.ts';
import {
  createTestnetTrader,
  expectOneProtectedEntryPerSignal,
  expireLeases,
  flatFeeds,
  playSweep,
  readySignal,
  settleAfterCrashes,
  slowOrders,
  type TestnetTrader,
} from '../../support/crash-checks.ts';
import { freshDatabase, type TestDatabase } from '../../support/databases.ts';
import {
  childProcesses,
  isAlive,
  killNow,
  spawnTsx,
  waitForLine,
  waitUntilGone,
} from '../../support/processes.ts';

const ROUNDS = 16;
/** Every fourth kill takes the whole stack (dispatcher and all), the last one included. */
const STACK_KILL_EVERY = 4;
/** New signals made ready each round, so that there is always fresh work to be killed in. */
const SIGNALS_PER_ROUND = 1;
/** Kills that must land while the killed process held a job's lease, or the test proves nothing. */
const MIN_KILLS_MID_JOB = ROUNDS / 2;
/** Distinct markets, one per signal (a second signal on a market would be refused as duplicate exposure). */
const SYMBOLS = Array.from(
  { length: ROUNDS * SIGNALS_PER_ROUND },
  (_, i) => `C${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + (i % 26))}/USDT`,
);
const API_KEY = 'stack-crash-key';
const API_SECRET = 'stack-crash-secret';

interface StackProcess {
  child: ChildProcess;
  url: string;
}

let database: TestDatabase;
let server: ExchangeServer;
let trader: TestnetTrader;
let stack: StackProcess | undefined;
const scratch = mkdtempSync(join(tmpdir(), 'tradeflow-stack-crash-'));
const stateDir = join(scratch, 'state');
/** The stacks' recent log lines (supervisor restarts, worker warnings), for failure messages. */
const stackLog: string[] = [];
/** Restarts of the worker the stacks' supervisors reported. */
let workerRestarts = 0;

async function startStackProcess(): Promise<StackProcess> {
  const child = spawnTsx('tests/support/stack-process.ts', {
    DATABASE_URL: database.url!,
    STACK_STATE_DIR: stateDir,
    STACK_EXCHANGE_URLS: JSON.stringify({ binance: server.url }),
    // A killed send may still execute until its request times out: placement waits this long
    // before deciding the order never reached the venue (production default: 60 s).
    TRADEFLOW_EXCHANGE_TIMEOUT_MS: '2000',
    TRADEFLOW_ORDER_IN_FLIGHT_MS: '5000',
    OPENAI_API_KEY: '',
  });
  let partial = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (/^function worker restarted /.test(line)) workerRestarts++;
    stackLog.push(...lines);
    stackLog.splice(0, Math.max(0, stackLog.length - 300));
  });
  const [, url] = await waitForLine(child, /^stack-ready (\S+)$/, 90_000);
  return { child, url: url! };
}

/** The stack's Deno processes (api, worker). */
function denoChildren(stackProcess: StackProcess) {
  return childProcesses(stackProcess.child.pid!).filter((p) => p.command.includes('serve-function.ts'));
}

/** The pid of the stack's Deno worker, once it is serving (after a kill, once restarted). */
async function workerPid(stackProcess: StackProcess): Promise<number> {
  let pid: number | undefined;
  await expect
    .poll(
      async () => {
        pid = denoChildren(stackProcess).find((p) => p.command.includes('functions/worker/index.ts'))?.pid;
        if (pid === undefined) return false;
        const health = await fetch(`${stackProcess.url}/functions/v1/worker/health`).catch(() => undefined);
        // 401 without the key: the restarted worker is up and routed to.
        return health?.status === 401;
      },
      { timeout: 30_000, interval: 50, message: `the worker did not come back:\n${stackLog.join('\n')}` },
    )
    .toBe(true);
  return pid!;
}

/** Leases held on jobs, except those of processes already killed. */
async function liveLeases(db: TestDatabase['db'], dead: Set<string>) {
  return db.query<{ lease_token: string; kind: string }>(
    `select lease_token::text, kind from queue.jobs
      where status = 'running' and not (lease_token::text = any($1::text[]))`,
    [[...dead]],
  );
}

const onMoneyPath = (lease: { kind: string }) => lease.kind === 'execute' || lease.kind === 'protect';

/** Resolves once a live worker holds an execute/protect job (false if none does in time). */
async function jobInFlight(db: TestDatabase['db'], dead: Set<string>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await liveLeases(db, dead)).some(onMoneyPath)) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

beforeAll(async () => {
  server = await startExchangeServer({ feeds: flatFeeds(SYMBOLS) });
  server.registerAccount(API_KEY, { secret: API_SECRET, balances: { USDT: '10000' } });
  slowOrders(server);
  database = await freshDatabase('postgres');
  // The stack reads its secrets from the state directory: the account's keys are encrypted
  // under its master key.
  const { masterKey } = loadOrCreateSecrets(stateDir);
  trader = await createTestnetTrader(database.db, { masterKey, apiKey: API_KEY, apiSecret: API_SECRET });
}, 60_000);

afterAll(async () => {
  if (stack) {
    const orphans = denoChildren(stack);
    await killNow(stack.child);
    for (const { pid } of orphans) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await database?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

it(`keeps one entry and one protection per signal through ${ROUNDS} SIGKILLs of the worker and the stack`, async () => {
  const { db } = database;
  const signalIds: number[] = [];
  const deadLeases = new Set<string>();
  let killedMidJob = 0;
  let stackKills = 0;
  let workerKills = 0;

  let sweeping = true;
  const sweeper = (async () => {
    while (sweeping) {
      await playSweep(db).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();

  let running = await startStackProcess();
  stack = running;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < SIGNALS_PER_ROUND; i++) {
        signalIds.push(await readySignal(db, trader, SYMBOLS[signalIds.length]!));
      }
      const killStack = (round + 1) % STACK_KILL_EVERY === 0;
      const worker = await workerPid(running);
      // A random moment of the worker's run of its jobs (the lookups before an order, the order
      // in flight, the sync after it, protect's orders), or just a random moment if none starts.
      await jobInFlight(db, deadLeases, 10_000);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 400));

      if (killStack) {
        const children = denoChildren(running);
        expect(children.map((c) => c.pid)).toContain(worker);
        await killNow(running.child);
        stackKills++;
        // Its Deno processes go with it: nothing keeps working for a dead stack.
        for (const { pid, command } of children) {
          expect({ command, gone: await waitUntilGone(pid, 5_000) }).toEqual({ command, gone: true });
        }
      } else {
        process.kill(worker, 'SIGKILL');
        workerKills++;
        expect(await waitUntilGone(worker, 5_000)).toBe(true);
      }
      // Leases still held now were held by the process just killed (its replacement has not
      // started yet): its jobs go back to the queue.
      const held = await liveLeases(db, deadLeases);
      if (held.some(onMoneyPath)) killedMidJob++;
      for (const { lease_token } of held) deadLeases.add(lease_token);
      await expireLeases(
        db,
        held.map((lease) => lease.lease_token),
      );

      // The stack is started again on the same database, as its user would; the last time is
      // the final restart, after which everything is reconciled.
      if (killStack) {
        running = await startStackProcess();
        stack = running;
      }
    }
    expect(stackKills).toBe(ROUNDS / STACK_KILL_EVERY);
    // The kills must land on work in flight, not between jobs, or this test proves nothing.
    expect(killedMidJob).toBeGreaterThanOrEqual(MIN_KILLS_MID_JOB);
    // The supervisor brought the worker back after each of its deaths, and said so.
    expect(workerRestarts).toBe(workerKills);

    await settleAfterCrashes(db, signalIds, { sweep: playSweep });
  } finally {
    sweeping = false;
    await sweeper;
  }
  await expectOneProtectedEntryPerSignal(db, server.orders(API_KEY), signalIds);

  // A graceful stop still takes the functions down with it.
  const children = denoChildren(running);
  expect(children).toHaveLength(2);
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGTERM');
  await exited;
  for (const { pid } of children) expect(isAlive(pid)).toBe(false);
  stack = undefined;
}, 180_000);
