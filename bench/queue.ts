/**
 * queue.jobs_per_s — trivial jobs through enqueue → claim → complete on a real PostgreSQL 15
 * (durable settings: fsync and synchronous commit on), with the worker's own drain loop
 * (shared/worker/drain.ts: batch claim, per-job acknowledgement, as shipped).
 *
 * queue.graphile_worker_jobs_per_s — the same jobs through graphile-worker 0.16 on the same
 * server in the same run. Both queues are fed the same way: their SQL enqueue function called
 * for 500 jobs per statement (graphile_worker.add_job / queue.enqueue), while the workers run.
 */
import { Logger, run as runGraphileWorker } from 'graphile-worker';
import { migrate } from '../platform/db/migrate.ts';
import type { PgCluster } from '../platform/db/pg-cluster.ts';
import { connectPostgres } from '../shared/db/postgres-client.ts';
import type { SqlClient } from '../shared/db/sql.ts';
import { drainJobs } from '../shared/worker/drain.ts';
import { report } from './report.ts';

const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 20_000);
const BATCH = 500;
const WORKERS = 4;

async function feed(db: SqlClient, statement: string): Promise<void> {
  for (let added = 0; added < JOBS; added += BATCH) {
    await db.query(statement, [Math.min(BATCH, JOBS - added)]);
  }
}

async function tradeflowQueue(url: string): Promise<number> {
  const producer = connectPostgres(url, { max: 1, prepare: true });
  const workers = Array.from({ length: WORKERS }, () => connectPostgres(url, { max: 1, prepare: true }));
  let completed = 0;
  const started = performance.now();
  const feeding = feed(producer, `select queue.enqueue('bench') from generate_series(1, $1)`);
  const draining = workers.map(async (db, index) => {
    let idleRounds = 0;
    while (completed < JOBS && idleRounds < 2000) {
      const result = await drainJobs(db, {
        worker: `bench-${index}`,
        handlers: { bench: async () => {} },
        budgetMs: 60_000,
        batchSize: 50,
      });
      completed += result.completed;
      idleRounds = result.claimed === 0 ? idleRounds + 1 : 0;
      if (result.claimed === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  });
  await feeding;
  await Promise.all(draining);
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all([producer.close(), ...workers.map((db) => db.close())]);
  if (completed !== JOBS) throw new Error(`tradeflow queue completed ${completed} of ${JOBS}`);
  return JOBS / elapsed;
}

async function graphileWorker(url: string): Promise<number> {
  const producer = connectPostgres(url, { max: 1, prepare: true });
  let completed = 0;
  let allDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const runner = await runGraphileWorker({
    connectionString: url,
    concurrency: WORKERS * 2,
    maxPoolSize: WORKERS * 2 + 2,
    pollInterval: 100,
    noHandleSignals: true,
    logger: new Logger(() => () => {}), // silent: per-job console logging would slow it down
    taskList: {
      bench: async () => {
        completed++;
        if (completed === JOBS) allDone();
      },
    },
  });
  const started = performance.now();
  await feed(producer, `select graphile_worker.add_job('bench', '{}'::json) from generate_series(1, $1)`);
  await done;
  const elapsed = (performance.now() - started) / 1000;
  await runner.stop();
  await producer.close();
  return JOBS / elapsed;
}

export async function benchQueue(cluster: PgCluster): Promise<void> {
  const admin = connectPostgres(cluster.url(), { max: 1 });
  await admin.query('create database bench_queue');
  await admin.close();
  const url = cluster.url('bench_queue');
  const db = connectPostgres(url, { max: 1 });
  await migrate(db);
  await db.close();

  // Warm both (graphile-worker installs its schema on first run), then measure.
  const graphile = await graphileWorker(url);
  const ours = await tradeflowQueue(url);
  const context = { jobs: JOBS, workers: WORKERS, postgres: '15, fsync on', same_run: true };
  report('queue.jobs_per_s', ours, 'jobs/s', context);
  report('queue.graphile_worker_jobs_per_s', graphile, 'jobs/s', {
    ...context,
    graphile_concurrency: WORKERS * 2,
  });
  report('queue.speedup_vs_graphile_worker', ours / graphile, 'x');
}
