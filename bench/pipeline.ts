/**
 * Benchmarks of the running system, through the local stack (platform/stack): real Deno worker,
 * dispatcher, paper venue, on embedded PGlite and on a real PostgreSQL 15 (durable settings).
 *
 * realtime.db_to_client_ms_p50/_p99 — a database change → the supabase-js callback of the
 *   owner's private channel (platform/realtime/latency-probe.ts), PGlite and PostgreSQL.
 *
 * pipeline.ready_to_ack_ms_p50/_p99 — a signal set `ready` (by the monitor job) → its entry
 *   order acknowledged by the venue, measured from the audit rows' clock_timestamp()s: the
 *   signal event `→ ready` and the order event `pending → open|filled` of the entry leg. Between
 *   them: commit, NOTIFY, the dispatcher's POST (or the worker's drain loop already running),
 *   claim, the execute handler's risk checks, the pending row, the venue call, the ack write.
 *   One signal at a time (latency, not queueing); each on its own user, paper account and
 *   trader, so the risk engine never refuses a duplicate exposure. The venue is the paper
 *   exchange (what the demo account trades on).
 *
 * pipeline.signals_per_s (full lifecycle through closed, real PostgreSQL): bench/pipeline-throughput.ts
 * (`npm run bench -- pipeline-throughput`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../platform/db/migrate.ts';
import type { PgCluster } from '../platform/db/pg-cluster.ts';
import { openPglite } from '../platform/db/pglite-client.ts';
import { measureDbToClientLatency } from '../platform/realtime/latency-probe.ts';
import { listenOnPglite, listenOnPostgres } from '../platform/realtime/listen.ts';
import { type Stack, startStack } from '../platform/stack/index.ts';
import { connectPostgres } from '../shared/db/postgres-client.ts';
import type { SqlClient } from '../shared/db/sql.ts';
import { fundPaperAccount } from '../shared/exchange/paper/funding.ts';
import { dec } from '../shared/money/decimal.ts';
import { percentile, report } from './report.ts';

const REALTIME_UPDATES = Number(process.env.BENCH_REALTIME_UPDATES ?? 300);
const READY_SAMPLES = Number(process.env.BENCH_READY_SAMPLES ?? 100);

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

async function readyToAck(backend: 'pglite' | 'postgres', cluster: PgCluster): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'tradeflow-bench-stack-'));
  let stack: Stack | undefined;
  try {
    stack = await startStack({
      ...(backend === 'postgres' ? { databaseUrl: await freshDatabase(cluster, 'bench_pipeline') } : {}),
      dataDir: join(scratch, 'pgdata'),
      stateDir: scratch,
      port: 0,
      dbPort: 0,
      dataFiles: [uptrendFile(scratch)],
      warmup: 200,
      // The market stands still: only the signals below move.
      speed: 1e-6,
      env: {},
      log: () => {},
    });
    const samples: number[] = [];
    for (let i = 0; i < READY_SAMPLES + 5; i++) {
      const ms = await oneSignalToAck(stack);
      if (i >= 5) samples.push(ms);
    }
    samples.sort((a, b) => a - b);
    const context = {
      backend,
      samples: samples.length,
      venue: 'paper',
      path: 'monitor → execute via dispatcher and Deno worker',
    };
    report('pipeline.ready_to_ack_ms_p50', percentile(samples, 50), 'ms', context);
    report('pipeline.ready_to_ack_ms_p99', percentile(samples, 99), 'ms', context);
  } finally {
    await stack?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A fresh owner with a signal at the market price; returns ready → ack in ms. */
async function oneSignalToAck(stack: Stack): Promise<number> {
  const { db } = stack;
  const symbol = stack.replay.symbols[0]!;
  const last = stack.replay.recent(symbol, 1)[0]!;
  const [user] = await db.query<{ id: string }>(
    `insert into auth.users (email) values ('bench-' || gen_random_uuid() || '@example.test') returning id`,
  );
  const [account] = await db.query<{ id: number }>(
    `insert into public.exchange_accounts (owner, exchange, mode, label) values ($1, 'paper', 'paper', 'Bench') returning id`,
    [user!.id],
  );
  await fundPaperAccount(db, account!.id, { USDT: '10000' });
  const [trader] = await db.query<{ id: number }>(
    `insert into public.traders (owner, name, account_id, sizing_rule, sizing_value, allowed_symbols)
     values ($1, 'Bench', $2, 'fixed_quote', 100, $3::text[]) returning id`,
    [user!.id, account!.id, [symbol]],
  );
  const close = dec(last.close);
  const [signal] = await db.query<{ id: number }>(
    `insert into public.signals (owner, trader_id, symbol, side, timeframe, entry_price, stop_loss, take_profit, expires_at)
     values ($1, $2, $3, 'long', '1m', $4, $5, $6, now() + interval '1 day') returning id`,
    [user!.id, trader!.id, symbol, close.toFixed(), close.mul('0.98').toFixed(), close.mul('1.04').toFixed()],
  );
  // analyse (enqueued by the insert) → monitoring; then the monitor run moves it to ready.
  await waitFor(
    db,
    `select 1 from public.signals where id = $1 and status <> 'new' and status <> 'analyzing'`,
    [signal!.id],
  );
  await db.query(`select queue.enqueue('monitor', '{}', 'cron:monitor')`);
  const [row] = await waitFor<{ ms: number }>(
    db,
    `select extract(epoch from (oe.created_at - se.created_at)) * 1000 as ms
       from public.signal_events se
       join public.signal_orders so on so.signal_id = se.signal_id and so.leg = 'entry'
       join public.order_events oe on oe.order_id = so.order_id
                                  and oe.from_status = 'pending' and oe.to_status in ('open', 'filled', 'partially_filled')
      where se.signal_id = $1 and se.to_status = 'ready'
      order by oe.id limit 1`,
    [signal!.id],
    () => describeSignal(db, signal!.id),
  );
  return Number(row!.ms);
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
       from public.signal_events e where e.signal_id = s.id) as events
       from public.signals s where s.id = $1`,
    [id],
  );
  return JSON.stringify(rows);
}

async function waitFor<T = Record<string, unknown>>(
  db: SqlClient,
  sql: string,
  params: unknown[],
  explain: () => Promise<string> = async () => '',
  timeoutMs = 20_000,
): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db.query<T>(sql, params);
    if (rows.length > 0) return rows;
    if (Date.now() > deadline)
      throw new Error(
        `bench: timed out waiting for ${sql.slice(0, 80)}… (${params.join(', ')}) ${await explain()}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 2));
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
