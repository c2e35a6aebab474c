/**
 * pipeline.signals_per_s — signals through the whole lifecycle (new → analyzing → monitoring →
 * ready → in_position → closed) on a real PostgreSQL 15 (durable settings), driven only by the
 * queue and the real job handlers (shared/pipeline createHandlers) with the deterministic
 * analyst and the paper venue over candles in public.candles.
 *
 * Set-up (not timed): ACCOUNTS users, each with one paper account funded with
 * fund_paper_account and one trader (fixed 100 USDT entries, max_positions = SYMBOLS), and
 * SYMBOLS markets each holding 80 one-minute candles of the uptrend of tests/db/pipeline (on
 * which the deterministic analyst answers `wait` with entry 104.24, stop 103.78, take-profit
 * 105.16 at the last close). N = ACCOUNTS × SYMBOLS signals (default 100 × 3 = 300, env
 * BENCH_PIPELINE_ACCOUNTS / _SYMBOLS / _WORKERS), one per (account, symbol), so the risk
 * engine's one-exposure-per-symbol and max-positions rules admit every one. Few symbols per
 * account on purpose: execute and protect each reconcile their whole account (syncAccount walks
 * every symbol the account traded), so their cost grows with the account's open positions
 * (10 accounts × 30 symbols measured ≈ 2–2.7 signals/s against ≈ 5–7.7 for 100 × 3).
 *
 * Timed: from the first signal insert to the last signal `closed`. WORKERS drain loops run
 * concurrently, each on its own connection with its own handlers (like separate worker
 * invocations); the triggers enqueue analyse / execute / protect; a driver loop plays cron
 * (enqueues `monitor {}`, `sync {}` and `risk {}` with the cron dedupe keys every CRON_MS) and
 * the market: once every signal on a symbol is protected (its take-profit leg exists), it
 * writes the next candle of that symbol, which rises through the take-profit, so the next sync
 * fires the (emulated) take-profit, cancels the stop-loss and closes the signal.
 *
 * Checked (throws otherwise): every signal closed, exactly one entry order per signal, no dead
 * job. Also printed: handler time by job kind (summed over workers), to show what limits it.
 */
import { availableParallelism } from 'node:os';
import { migrate } from '../platform/db/migrate.ts';
import type { PgCluster } from '../platform/db/pg-cluster.ts';
import { createDeterministicAnalyst } from '../shared/analyst/deterministic-analyst.ts';
import { connectPostgres } from '../shared/db/postgres-client.ts';
import type { SqlClient } from '../shared/db/sql.ts';
import { fundPaperAccount } from '../shared/exchange/paper/funding.ts';
import type { Candle } from '../shared/market-data/candle.ts';
import { upsertCandles } from '../shared/market-data/candle-store.ts';
import { createExchangeForAccount } from '../shared/pipeline/exchange-for-account.ts';
import { createHandlers } from '../shared/pipeline/handlers.ts';
import { drainJobs, type JobHandler } from '../shared/worker/drain.ts';
import { uptrendCandles } from '../tests/support/markets.ts';
import { report } from './report.ts';

const ACCOUNTS = Number(process.env.BENCH_PIPELINE_ACCOUNTS ?? 100);
const SYMBOLS = Number(process.env.BENCH_PIPELINE_SYMBOLS ?? 3);
const WORKERS = Number(process.env.BENCH_PIPELINE_WORKERS ?? 4);
const CRON_MS = Number(process.env.BENCH_PIPELINE_CRON_MS ?? 20);
const POLL_MS = 10;
const TIMEOUT_MS = Number(process.env.BENCH_PIPELINE_TIMEOUT_MS ?? 300_000);
const FEED = 'bench_throughput';
const MINUTE = 60_000;
// Two hours before the wall clock: the database stamps expiry with its own clock.
const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - 120 * MINUTE;
const at = (minute: number) => T0 + minute * MINUTE;
// The pipeline's clock stands where the crossing candle (minute 80) has closed.
const NOW = at(81);
const FILTERS = { tickSize: '0.01', stepSize: '0.00001', minNotional: '5' };

export async function benchPipelineThroughput(cluster: PgCluster): Promise<void> {
  const name = `bench_throughput_${Math.random().toString(36).slice(2, 10)}`;
  const admin = connectPostgres(cluster.url(), { max: 1 });
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.close();
  }
  const url = cluster.url(name);
  const driver = connectPostgres(url, { max: 1, prepare: true });
  const workers = Array.from({ length: WORKERS }, () => connectPostgres(url, { max: 1, prepare: true }));
  try {
    await migrate(driver);
    const symbols = Array.from({ length: SYMBOLS }, (_, i) => `B${String(i).padStart(3, '0')}/USDT`);
    const traders = await setUp(driver, symbols);
    const total = traders.length * symbols.length;

    const paperVenue = {
      priceSource: FEED,
      markets: Object.fromEntries(symbols.map((symbol) => [symbol, FILTERS])),
    };
    const busyMs: Record<string, number> = {};
    const jobsRun: Record<string, number> = {};
    const timed = (kind: string, handler: JobHandler): JobHandler => {
      return async (job, context) => {
        const started = performance.now();
        try {
          await handler(job, context);
        } finally {
          busyMs[kind] = (busyMs[kind] ?? 0) + performance.now() - started;
          jobsRun[kind] = (jobsRun[kind] ?? 0) + 1;
        }
      };
    };
    let done = false;
    const drained = { claimed: 0, retried: 0, dead: 0, leaseLost: 0 };
    const loops = workers.map(async (db, index) => {
      // Each worker invocation builds its own handlers and exchange cache, as the Edge Function does.
      const handlers = createHandlers({
        analyst: createDeterministicAnalyst({ clock: () => 0 }),
        exchangeFor: createExchangeForAccount({ clock: () => NOW, paperVenue }),
        now: () => NOW,
        paperVenue,
      });
      const wrapped = Object.fromEntries(
        Object.entries(handlers).map(([kind, handler]) => [kind, timed(kind, handler)]),
      );
      while (!done) {
        const result = await drainJobs(db, {
          worker: `bench-${index}`,
          handlers: wrapped,
          budgetMs: 5_000,
          batchSize: 5,
          now: () => Date.now(),
        });
        drained.claimed += result.claimed;
        drained.retried += result.retried;
        drained.dead += result.dead;
        drained.leaseLost += result.leaseLost;
        if (result.claimed === 0) await sleep(5);
      }
    });

    const commitsBefore = await commits(driver);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    let driverStatements = 0;
    try {
      await insertSignals(driver, traders, symbols);
      const moved = new Set<string>();
      let lastCron = 0;
      for (;;) {
        if (performance.now() - lastCron >= CRON_MS) {
          lastCron = performance.now();
          driverStatements += 1;
          await driver.query(
            `select queue.enqueue('monitor', '{}', 'cron:monitor'), queue.enqueue('sync', '{}', 'cron:sync'),
                    queue.enqueue('risk', '{}', 'cron:risk')`,
          );
        }
        // The market: a symbol moves through the take-profit once all its signals are protected.
        const protectedSymbols = await driver.query<{ symbol: string }>(
          `select s.symbol from public.signals s
             left join public.signal_orders so on so.signal_id = s.id and so.leg = 'take_profit'
            group by s.symbol having count(*) filter (where so.signal_id is null) = 0`,
        );
        for (const { symbol } of protectedSymbols) {
          if (moved.has(symbol)) continue;
          moved.add(symbol);
          await upsertCandles(driver, { exchangeId: FEED, symbol, timeframe: '1m' }, [
            { ts: at(80), open: '104.24', high: '105.40', low: '104.20', close: '105.30', volume: '10' },
          ]);
        }
        const [row] = await driver.query<{ closed: number; dead: number }>(
          `select (select count(*)::int from public.signals where status = 'closed') as closed,
                  (select count(*)::int from queue.jobs where status = 'dead') as dead`,
        );
        if (row!.closed === total) break;
        if (row!.dead > 0) throw new Error(`bench: ${row!.dead} dead job(s): ${await deadJobs(driver)}`);
        if (performance.now() - started > TIMEOUT_MS)
          throw new Error(
            `bench: timed out with ${row!.closed} of ${total} closed: ${await statuses(driver)}`,
          );
        driverStatements += 2;
        await sleep(POLL_MS);
      }
    } finally {
      done = true;
      await Promise.all(loops);
    }
    const elapsed = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);

    await verify(driver, total);
    // Backends flush their statistics when idle, at most once a second.
    await sleep(1_100);
    const committed = (await commits(driver)) - commitsBefore - driverStatements;
    report('pipeline.signals_per_s', total / elapsed, 'signals/s', {
      signals: total,
      workers: WORKERS,
      accounts: traders.length,
      symbols: symbols.length,
      elapsed_s: Number(elapsed.toFixed(3)),
      cron_ms: CRON_MS,
      venue: 'paper',
      analyst: 'deterministic',
      postgres: '15, fsync on, synchronous_commit on',
      retried_jobs: drained.retried,
      lease_lost: drained.leaseLost,
    });
    const busyTotal = Object.values(busyMs).reduce((sum, ms) => sum + ms, 0);
    console.log(
      JSON.stringify({
        metric: 'pipeline.signals_per_s.handler_time',
        note: 'handler wall time summed over workers, by job kind (share of all handler time)',
        worker_busy_share: Number((busyTotal / (elapsed * 1000 * WORKERS)).toFixed(3)),
        // All drain loops share this one Node process: its CPU time over the run's wall time.
        node_cpu_share: Number(((cpu.user + cpu.system) / 1000 / (elapsed * 1000)).toFixed(3)),
        cpus: availableParallelism(),
        // The workers' database transactions (claims included), the driver's polling left out.
        db_commits_per_signal: Math.round(committed / total),
        kinds: Object.fromEntries(
          Object.entries(busyMs)
            .sort((a, b) => b[1] - a[1])
            .map(([kind, ms]) => [
              kind,
              {
                jobs: jobsRun[kind],
                total_ms: Math.round(ms),
                ms_per_job: Number((ms / jobsRun[kind]!).toFixed(2)),
                share: Number((ms / busyTotal).toFixed(3)),
              },
            ]),
        ),
      }),
    );
  } finally {
    await Promise.all([driver.close(), ...workers.map((db) => db.close())]);
  }
}

/** Users, funded paper accounts, traders, and the uptrend on every symbol. Returns the traders. */
async function setUp(db: SqlClient, symbols: string[]): Promise<{ owner: string; traderId: number }[]> {
  const traders: { owner: string; traderId: number }[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const [user] = await db.query<{ id: string }>(
      `insert into auth.users (email) values ('bench-' || gen_random_uuid() || '@example.test') returning id`,
    );
    const [account] = await db.query<{ id: number }>(
      `insert into public.exchange_accounts (owner, exchange, mode, label) values ($1, 'paper', 'paper', 'Bench') returning id`,
      [user!.id],
    );
    await fundPaperAccount(db, account!.id, { USDT: String(200 * symbols.length + 1000) });
    const [trader] = await db.query<{ id: number }>(
      `insert into public.traders (owner, name, account_id, sizing_rule, sizing_value, max_positions, analysis_interval)
       values ($1, 'Bench', $2, 'fixed_quote', 100, $3, '1 minute') returning id`,
      [user!.id, account!.id, symbols.length],
    );
    traders.push({ owner: user!.id, traderId: trader!.id });
  }
  for (const symbol of symbols) {
    await upsertCandles(db, { exchangeId: FEED, symbol, timeframe: '1m' }, uptrend());
  }
  return traders;
}

/** One signal per (trader, symbol), no levels: the analyst sets them. One statement per trader. */
async function insertSignals(
  db: SqlClient,
  traders: { owner: string; traderId: number }[],
  symbols: string[],
): Promise<void> {
  for (const { owner, traderId } of traders) {
    await db.query(
      `insert into public.signals (owner, trader_id, symbol, side, timeframe, expires_at)
       select $1, $2, symbol, 'long', '1m', now() + interval '1 day' from unnest($3::text[]) as symbol`,
      [owner, traderId, symbols],
    );
  }
}

async function verify(db: SqlClient, total: number): Promise<void> {
  const [row] = await db.query<{
    signals: number;
    closed: number;
    entries: number;
    bad: number;
    dead: number;
  }>(
    `select (select count(*)::int from public.signals) as signals,
            (select count(*)::int from public.signals where status = 'closed') as closed,
            (select count(*)::int from public.signal_orders where leg = 'entry') as entries,
            (select count(*)::int from (select s.id from public.signals s
                left join public.signal_orders so on so.signal_id = s.id and so.leg = 'entry'
                group by s.id having count(so.order_id) <> 1) x) as bad,
            (select count(*)::int from queue.jobs where status = 'dead') as dead`,
  );
  const problems: string[] = [];
  if (row!.signals !== total) problems.push(`${row!.signals} signals, expected ${total}`);
  if (row!.closed !== total) problems.push(`${row!.closed} of ${total} closed`);
  if (row!.entries !== total || row!.bad !== 0)
    problems.push(`${row!.entries} entry orders, ${row!.bad} signal(s) without exactly one`);
  if (row!.dead !== 0) problems.push(`${row!.dead} dead job(s): ${await deadJobs(db)}`);
  const [pnl] = await db.query<{ losers: number }>(
    `select count(*)::int as losers from public.signals where realized_pnl is null or realized_pnl <= 0`,
  );
  if (pnl!.losers !== 0) problems.push(`${pnl!.losers} signal(s) closed without the take-profit's gain`);
  if (problems.length > 0) throw new Error(`bench pipeline.signals_per_s: ${problems.join('; ')}`);
}

async function commits(db: SqlClient): Promise<number> {
  const [row] = await db.query<{ n: string }>(
    `select xact_commit::text as n from pg_catalog.pg_stat_database where datname = current_database()`,
  );
  return Number(row!.n);
}

async function deadJobs(db: SqlClient): Promise<string> {
  const rows = await db.query(
    `select kind, payload, last_error from queue.jobs where status = 'dead' order by id limit 5`,
  );
  return JSON.stringify(rows);
}

async function statuses(db: SqlClient): Promise<string> {
  const rows = await db.query(
    `select status, count(*)::int as n, min(status_reason) as reason from public.signals group by status`,
  );
  const jobs = await db.query(
    `select kind, status, count(*)::int as n, max(last_error) as error from queue.jobs group by kind, status`,
  );
  return JSON.stringify({ signals: rows, jobs });
}

/** The uptrend: close = 100 + 0.05·i + 0.3·sin(i/2), bars 0–79 (tests/support/markets.ts). */
function uptrend(count = 80): Candle[] {
  return uptrendCandles(count, at);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
