/**
 * Benchmarks of the running system, through the local stack (platform/stack): real Deno worker,
 * dispatcher, on embedded PGlite and on a real PostgreSQL 15 (durable settings).
 *
 * realtime.db_to_client_ms_p50/_p99 — a database change → the supabase-js callback of the
 *   owner's private channel (platform/realtime/latency-probe.ts), PGlite and PostgreSQL.
 *
 * pipeline.ready_to_ack_ms_p50/_p99 — a signal set `ready` (by the monitor job) → its entry
 *   order acknowledged by the venue, measured from the audit rows' clock_timestamp()s: the
 *   signal event `→ ready` and the order event `pending → open|filled` of the entry leg. Between
 *   them: commit, NOTIFY, the dispatcher's POST (or, as here, the worker's drain loop that ran
 *   the monitor job claiming next), claim, the execute handler's risk checks, the pending row,
 *   the venue call, the ack write.
 *   One signal at a time (latency, not queueing); each on its own user, account and trader, so
 *   the risk engine never refuses a duplicate exposure, and closed once its follow-up jobs are
 *   done, so that nothing of one sample (its jobs, its account in the sync and risk sweeps) is
 *   in the next one's way. The replayed market is stepped every 30 s, between samples. One line
 *   per backend and `venue`:
 *   - `paper`: the paper exchange in Postgres (what the demo account trades on);
 *   - `ccxt-local-exchange`: a `testnet` Binance account with vault-encrypted API keys, traded
 *     by the worker's real ccxt client on the stack's local exchange server
 *     (TRADEFLOW_EXCHANGE_URLS), through the account's circuit breaker and request budget.
 *   The two venues alternate signal by signal, so both see the same machine load.
 *
 * pipeline.ready_to_ack_stage_ms_p50 — where that time goes: per backend, venue and `stage`,
 *   the median (and mean_ms: means add up, medians do not) of each step, from timestamps the
 *   database already keeps, plus two observations of the bench:
 *   - ready→claimed: the `→ ready` event → the execute job's claim (queue.jobs.updated_at,
 *     now() of queue.claim). Completed jobs are deleted, so the claim is only seen by the
 *     bench's polling while the job runs; `samples` says how often it was;
 *   - claimed→pending_tx: the execute handler up to the pending row's transaction (signal,
 *     orders, risk reads, the venue's market/ticker/balance): orders.created_at (its now());
 *   - pending_tx→pending_row: the in-transaction risk guard (row locks, re-read) → the insert
 *     of the pending row (its order event, clock_timestamp());
 *   - pending_row→ack (paper): commit, the paper venue's transaction, the answer's write;
 *   - pending_row→venue and venue→ack (ccxt): … → the local exchange server receives the
 *     create (the bench's clock, on the same host) → the `pending → open|filled` event.
 *   A sample whose claim went unseen counts in the stages it has.
 *
 * pipeline.signals_per_s (full lifecycle through closed, real PostgreSQL): bench/pipeline-throughput.ts
 * (`npm run bench -- pipeline-throughput`).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../platform/db/migrate.ts';
import type { PgCluster } from '../platform/db/pg-cluster.ts';
import { openPglite } from '../platform/db/pglite-client.ts';
import { measureDbToClientLatency } from '../platform/realtime/latency-probe.ts';
import { listenOnPglite, listenOnPostgres } from '../platform/realtime/listen.ts';
import { type Stack, startStack } from '../platform/stack/index.ts';
import { loadOrCreateSecrets } from '../platform/stack/secrets.ts';
import { connectPostgres } from '../shared/db/postgres-client.ts';
import type { SqlClient } from '../shared/db/sql.ts';
import { fundPaperAccount } from '../shared/exchange/paper/funding.ts';
import { dec } from '../shared/money/decimal.ts';
import {
  encryptSecret,
  loadMasterKeys,
  type MasterKeyring,
  newUserSalt,
  serializeEnvelope,
} from '../shared/vault/index.ts';
import { percentile, report } from './report.ts';

const REALTIME_UPDATES = Number(process.env.BENCH_REALTIME_UPDATES ?? 300);
const READY_SAMPLES = Number(process.env.BENCH_READY_SAMPLES ?? 100);
const READY_WARMUP = 5;
/** Wall-clock time between two steps of the replayed market during the ready → ack samples. */
const MARKET_STEP_MS = 30_000;
/**
 * How often the bench looks for the ack (and the running execute job) once the monitor is
 * enqueued. The figures come from database timestamps, so this only bounds how often the claim
 * is seen; on PGlite every look holds the one embedded session, which the worker then waits for
 * (in paired runs 2 ms polling added 14–47 ms to PGlite's p50; nothing measurable on PostgreSQL).
 */
const ACK_POLL_MS = Number(process.env.BENCH_ACK_POLL_MS ?? 10);

export async function benchPipeline(cluster: PgCluster): Promise<void> {
  await realtimeLatency(cluster);
  await readyToAck('pglite', cluster);
  await readyToAck('postgres', cluster);
}

async function realtimeLatency(cluster: PgCluster): Promise<void> {
  {
    const { db, pglite } = await openPglite();
    try {
      await migrate(db);
      const figures = await measureDbToClientLatency({
        db,
        listen: listenOnPglite(pglite),
        updates: REALTIME_UPDATES,
      });
      reportRealtime('pglite', figures);
    } finally {
      await db.close();
    }
  }
  const url = await freshDatabase(cluster, 'bench_realtime');
  const db = connectPostgres(url, { max: 4, prepare: true });
  try {
    await migrate(db);
    const figures = await measureDbToClientLatency({
      db,
      listen: listenOnPostgres(url),
      updates: REALTIME_UPDATES,
    });
    reportRealtime('postgres', figures);
  } finally {
    await db.close();
  }
}

function reportRealtime(
  backend: string,
  figures: { samples: number; p50: number; p99: number; max: number },
) {
  const context = { backend, samples: figures.samples, max_ms: figures.max };
  report('realtime.db_to_client_ms_p50', figures.p50, 'ms', context);
  report('realtime.db_to_client_ms_p99', figures.p99, 'ms', context);
}

type Backend = 'pglite' | 'postgres';
type Venue = 'paper' | 'ccxt-local-exchange';
const VENUES: Venue[] = ['paper', 'ccxt-local-exchange'];

/** One signal's way from ready to ack, as epoch milliseconds (null: not observed). */
interface Timeline {
  readyAt: number;
  claimedAt: number | null;
  pendingTxAt: number;
  pendingRowAt: number;
  venueAt: number | null;
  ackAt: number;
}

type Mark = keyof Timeline;
const STAGES: Record<Venue, [stage: string, from: Mark, to: Mark][]> = {
  paper: [
    ['ready→claimed', 'readyAt', 'claimedAt'],
    ['claimed→pending_tx', 'claimedAt', 'pendingTxAt'],
    ['pending_tx→pending_row', 'pendingTxAt', 'pendingRowAt'],
    ['pending_row→ack', 'pendingRowAt', 'ackAt'],
  ],
  'ccxt-local-exchange': [
    ['ready→claimed', 'readyAt', 'claimedAt'],
    ['claimed→pending_tx', 'claimedAt', 'pendingTxAt'],
    ['pending_tx→pending_row', 'pendingTxAt', 'pendingRowAt'],
    ['pending_row→venue', 'pendingRowAt', 'venueAt'],
    ['venue→ack', 'venueAt', 'ackAt'],
  ],
};

/** The testnet accounts' side: the stack's exchange server, and when it received each create. */
interface LocalExchange {
  keyring: MasterKeyring;
  /** API key → arrival times (epoch ms, this process's clock) of its order creates. */
  creates: Map<string, number[]>;
}

async function readyToAck(backend: Backend, cluster: PgCluster): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'tradeflow-bench-stack-'));
  let stack: Stack | undefined;
  try {
    // The stack reads its secrets from here: the bench encrypts the testnet keys with its master key.
    const secrets = loadOrCreateSecrets(scratch);
    stack = await startStack({
      ...(backend === 'postgres' ? { databaseUrl: await freshDatabase(cluster, 'bench_pipeline') } : {}),
      dataDir: join(scratch, 'pgdata'),
      stateDir: scratch,
      port: 0,
      dbPort: 0,
      dataFiles: [uptrendFile(scratch)],
      warmup: 200,
      // The session's own replay stands still: the bench steps it, between samples only.
      speed: 1e-6,
      env: {},
      log: process.env.BENCH_STACK_LOG ? (line) => console.error(line) : () => {},
    });
    const exchange: LocalExchange = {
      keyring: await loadMasterKeys({ TRADEFLOW_MASTER_KEY: secrets.masterKey }),
      creates: recordOrderCreates(stack),
    };
    const timelines: Record<Venue, Timeline[]> = { paper: [], 'ccxt-local-exchange': [] };
    let stepped = Date.now();
    for (let i = 0; i < READY_SAMPLES + READY_WARMUP; i++) {
      // The worker's clock runs on from the last market time it was sent: a market standing
      // still for minutes turns stale (the analyst waits after 3 bars). Step it now and then,
      // between samples, so that no price moves while a signal is on its way.
      if (Date.now() - stepped > MARKET_STEP_MS) {
        await stack.replay.tick();
        stepped = Date.now();
      }
      for (const venue of VENUES) {
        const timeline = await oneSignalToAck(stack, venue, exchange);
        if (i >= READY_WARMUP) timelines[venue].push(timeline);
      }
    }
    for (const venue of VENUES) reportReadyToAck(backend, venue, timelines[venue]);
  } finally {
    await stack?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function reportReadyToAck(backend: Backend, venue: Venue, timelines: Timeline[]): void {
  const totals = timelines.map((t) => t.ackAt - t.readyAt).sort((a, b) => a - b);
  const context = {
    backend,
    samples: totals.length,
    venue,
    path: 'monitor → execute via dispatcher and Deno worker',
  };
  report('pipeline.ready_to_ack_ms_p50', percentile(totals, 50), 'ms', context);
  report('pipeline.ready_to_ack_ms_p99', percentile(totals, 99), 'ms', context);
  for (const [stage, from, to] of STAGES[venue]) {
    const spans = timelines
      .filter((t) => t[from] !== null && t[to] !== null)
      .map((t) => t[to]! - t[from]!)
      .sort((a, b) => a - b);
    const mean = spans.reduce((sum, ms) => sum + ms, 0) / spans.length;
    report('pipeline.ready_to_ack_stage_ms_p50', percentile(spans, 50), 'ms', {
      backend,
      venue,
      stage,
      samples: spans.length,
      mean_ms: Number(mean.toFixed(3)),
    });
  }
}

/**
 * Notes when the stack's exchange server receives each order create, per API key: every
 * request passes its fault book first (platform/exchange-server/server.ts), so wrapping that
 * one method observes arrivals without changing what the server does.
 */
function recordOrderCreates(stack: Stack): Map<string, number[]> {
  const creates = new Map<string, number[]>();
  const faults = stack.replay.exchange.faults;
  const take = faults.take.bind(faults);
  faults.take = (method, path, apiKey) => {
    if (method === 'POST' && path === '/api/v3/order' && apiKey !== undefined) {
      const arrivals = creates.get(apiKey) ?? [];
      arrivals.push(performance.timeOrigin + performance.now());
      creates.set(apiKey, arrivals);
    }
    return take(method, path, apiKey);
  };
  return creates;
}

/** A fresh owner with a signal at the market price on `venue`; returns its way from ready to ack. */
async function oneSignalToAck(stack: Stack, venue: Venue, exchange: LocalExchange): Promise<Timeline> {
  const { db } = stack;
  const symbol = stack.replay.symbols[0]!;
  const last = stack.replay.recent(symbol, 1)[0]!;
  const [user] = await db.query<{ id: string }>(
    `insert into auth.users (email) values ('bench-' || gen_random_uuid() || '@example.test') returning id`,
  );
  const owner = user!.id;
  const { accountId, apiKey } =
    venue === 'paper' ? await paperAccount(db, owner) : await testnetAccount(stack, owner, exchange);
  const [trader] = await db.query<{ id: number }>(
    `insert into public.traders (owner, name, account_id, sizing_rule, sizing_value, allowed_symbols)
     values ($1, 'Bench', $2, 'fixed_quote', 100, $3::text[]) returning id`,
    [owner, accountId, [symbol]],
  );
  const close = dec(last.close);
  const [signal] = await db.query<{ id: number }>(
    `insert into public.signals (owner, trader_id, symbol, side, timeframe, entry_price, stop_loss, take_profit, expires_at)
     values ($1, $2, $3, 'long', '1m', $4, $5, $6, now() + interval '1 day') returning id`,
    [owner, trader!.id, symbol, close.toFixed(), close.mul('0.98').toFixed(), close.mul('1.04').toFixed()],
  );
  const signalId = signal!.id;
  // analyse (enqueued by the insert) → monitoring; then the monitor run moves it to ready.
  await waitFor(
    db,
    `select 1 from public.signals where id = $1 and status <> 'new' and status <> 'analyzing'`,
    [signalId],
    { explain: () => describeSignal(db, signalId) },
  );
  // A monitor run already under way (the schedules') may have read the due signals before this
  // one, and the enqueue below would be deduplicated against it: let it finish first.
  await waitFor(
    db,
    `select 1 where not exists (select 1 from queue.jobs where kind = 'monitor' and status = 'running')`,
    [],
  );
  await db.query(`select queue.enqueue('monitor', '{}', 'cron:monitor')`);
  // Polled until the ack is recorded; the execute job's claim is seen while the job runs.
  let claimedAt: number | null = null;
  const [row] = await waitFor<{
    claimed_at: number | null;
    ready_at: number | null;
    pending_tx_at: number;
    pending_row_at: number;
    ack_at: number;
  }>(
    db,
    `select (select extract(epoch from j.updated_at)::float8 * 1000 from queue.jobs j
              where j.kind = 'execute' and j.dedupe_key = 'signal:' || $1 || ':execute'
                and j.status = 'running') as claimed_at,
            t.*
       from (select 1) one
       left join lateral (
         select extract(epoch from se.created_at)::float8 * 1000 as ready_at,
                extract(epoch from o.created_at)::float8 * 1000 as pending_tx_at,
                extract(epoch from p.created_at)::float8 * 1000 as pending_row_at,
                extract(epoch from a.created_at)::float8 * 1000 as ack_at
           from public.signal_events se
           join public.signal_orders so on so.signal_id = se.signal_id and so.leg = 'entry'
           join public.orders o on o.id = so.order_id
           join public.order_events p on p.order_id = o.id and p.from_status is null and p.to_status = 'pending'
           join public.order_events a on a.order_id = o.id
                                     and a.from_status = 'pending' and a.to_status in ('open', 'filled', 'partially_filled')
          where se.signal_id = $1 and se.to_status = 'ready'
          order by a.id limit 1
       ) t on true`,
    [signalId],
    {
      explain: () => describeSignal(db, signalId),
      done: (rows) => {
        claimedAt ??= rows[0]?.claimed_at ?? null;
        return (rows[0]?.ready_at ?? null) !== null;
      },
      pollMs: ACK_POLL_MS,
    },
  );
  const createdAt = apiKey === undefined ? undefined : exchange.creates.get(apiKey)?.[0];
  await retire(db, owner, trader!.id, accountId);
  return {
    readyAt: row!.ready_at!,
    claimedAt,
    pendingTxAt: row!.pending_tx_at,
    pendingRowAt: row!.pending_row_at,
    venueAt: createdAt ?? null,
    ackAt: row!.ack_at,
  };
}

/**
 * Leaves nothing of a sample behind for the next: once its follow-up jobs (protect, syncs) are
 * done, a per-position loss limit of 0.0001 % and a risk sweep close its position at market
 * (the sweep cancels the protective orders first), so the periodic sync and risk sweeps do not
 * grow with the samples taken (a ccxt account costs them several throttled venue requests), and
 * no job of one sample runs in the path of the next. (Not the emergency stop: on a ccxt Binance
 * account it fails, asking for open orders without a symbol.)
 */
async function retire(db: SqlClient, owner: string, traderId: number, accountId: number): Promise<void> {
  await queueIdle(db);
  await db.query(
    `insert into public.risk_parameters (owner, trader_id, per_position_max_loss_pct) values ($1, $2, 0.0001)`,
    [owner, traderId],
  );
  await db.query(`select queue.enqueue('risk', '{}', 'cron:risk')`);
  await queueIdle(db);
  // The exit's fill, recorded: the position and the signal close.
  await db.query(`select queue.enqueue('sync', jsonb_build_object('account_id', $1::bigint))`, [accountId]);
  await queueIdle(db);
}

/** Until no job runs and none is due. */
async function queueIdle(db: SqlClient): Promise<void> {
  await waitFor(
    db,
    `select 1 where not exists (select 1 from queue.jobs
                                 where status = 'running' or (status = 'queued' and run_at <= now()))`,
    [],
    { pollMs: 10, timeoutMs: 60_000 },
  );
}

async function paperAccount(db: SqlClient, owner: string): Promise<{ accountId: number; apiKey?: string }> {
  const [account] = await db.query<{ id: number }>(
    `insert into public.exchange_accounts (owner, exchange, mode, label) values ($1, 'paper', 'paper', 'Bench') returning id`,
    [owner],
  );
  await fundPaperAccount(db, account!.id, { USDT: '10000' });
  return { accountId: account!.id };
}

/**
 * A `testnet` Binance account whose keys are registered (and funded) on the stack's exchange
 * server and stored vault-encrypted under the stack's master key, as the API stores them.
 */
async function testnetAccount(
  stack: Stack,
  owner: string,
  exchange: LocalExchange,
): Promise<{ accountId: number; apiKey: string }> {
  const { db } = stack;
  const apiKey = `bench-${randomUUID()}`;
  const secret = randomUUID();
  stack.replay.exchange.registerAccount(apiKey, { secret, balances: { USDT: '10000' } });
  const [account] = await db.query<{ id: number }>(
    `insert into public.exchange_accounts (owner, exchange, mode, label, api_key_ciphertext, api_secret_ciphertext,
       key_salt, key_version, permissions)
     values ($1, 'binance', 'testnet', 'Bench', 'x', 'x', 'x', 1, array['read', 'trade']) returning id`,
    [owner],
  );
  const accountId = account!.id;
  const salt = newUserSalt();
  const context = { userId: owner, accountId: String(accountId), userSalt: salt };
  await db.query(
    `update public.exchange_accounts set api_key_ciphertext = $2, api_secret_ciphertext = $3, key_salt = $4 where id = $1`,
    [
      accountId,
      serializeEnvelope(await encryptSecret(exchange.keyring, apiKey, context)),
      serializeEnvelope(await encryptSecret(exchange.keyring, secret, context)),
      salt,
    ],
  );
  return { accountId, apiKey };
}

/**
 * A gentle uptrend with swings (close = 100 + 0.05·i + 0.3·sin(i/2)), on which the
 * deterministic analyst answers `wait` with its levels at the last close: every signal goes
 * analyse → monitoring → (monitor) ready → execute, the path measured.
 */
function uptrendFile(dir: string): string {
  const close = (i: number) => 100 + 0.05 * i + 0.3 * Math.sin(i / 2);
  const rows = Array.from({ length: 400 }, (_, i) => {
    const c = close(i);
    const o = close(i - 1);
    return [
      i * 60_000,
      +o.toFixed(2),
      +(Math.max(o, c) + 0.1).toFixed(2),
      +(Math.min(o, c) - 0.1).toFixed(2),
      +c.toFixed(2),
      10,
    ];
  });
  const path = join(dir, 'BENCH_USDT-1m.json');
  writeFileSync(path, JSON.stringify(rows));
  return path;
}

async function describeSignal(db: SqlClient, id: number): Promise<string> {
  const rows = await db.query(
    `select s.status, s.status_reason, (select json_agg(e.to_status || ': ' || coalesce(e.reason, '') order by e.id)
       from public.signal_events e where e.signal_id = s.id) as events,
       (select json_agg(m.decision || ': ' || coalesce(m.inputs ->> 'reason', '') order by m.id)
          from public.signal_monitoring_snapshots m where m.signal_id = s.id) as snapshots,
       (select json_agg(j.kind || ' ' || j.status || ' #' || j.attempts || ' ' || coalesce(j.last_error, '') order by j.id)
          from queue.jobs j) as jobs
       from public.signals s where s.id = $1`,
    [id],
  );
  return JSON.stringify(rows);
}

interface WaitOptions<T> {
  explain?: () => Promise<string>;
  /** When the rows are the answer (default: any row). */
  done?: (rows: T[]) => boolean;
  pollMs?: number;
  timeoutMs?: number;
}

async function waitFor<T = Record<string, unknown>>(
  db: SqlClient,
  sql: string,
  params: unknown[],
  options: WaitOptions<T> = {},
): Promise<T[]> {
  const done = options.done ?? ((rows: T[]) => rows.length > 0);
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const rows = await db.query<T>(sql, params);
    if (done(rows)) return rows;
    if (Date.now() > deadline)
      throw new Error(
        `bench: timed out waiting for ${sql.slice(0, 80)}… (${params.join(', ')}) ${(await options.explain?.()) ?? ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2));
  }
}

async function freshDatabase(cluster: PgCluster, prefix: string): Promise<string> {
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = connectPostgres(cluster.url(), { max: 1 });
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.close();
  }
  return cluster.url(name);
}
