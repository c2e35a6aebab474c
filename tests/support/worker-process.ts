/**
 * A worker process for crash tests: the same pipeline handlers and drain loop the `worker`
 * Edge Function runs, in a plain Node process the test can kill with SIGKILL at any moment.
 * It also plays the cron sweep (reclaiming expired leases), as pg_cron would.
 *
 * env: DATABASE_URL, WORKER_KINDS (comma list), WORKER_LEASE_SECONDS, plus the pipeline's
 * (TRADEFLOW_MASTER_KEY, TRADEFLOW_EXCHANGE_URLS, …; see shared/pipeline/env.ts).
 */
import { connectPostgres } from '../../shared/db/postgres-client.ts';
import { pipelineDepsFromEnv } from '../../shared/pipeline/env.ts';
import { createHandlers } from '../../shared/pipeline/handlers.ts';
import { drainJobs, type JobHandler } from '../../shared/worker/drain.ts';

const db = connectPostgres(process.env.DATABASE_URL!, { max: 2, applicationName: 'crash-test-worker' });
const all = createHandlers(await pipelineDepsFromEnv(process.env));
const kinds = (process.env.WORKER_KINDS ?? 'execute,protect,sync').split(',');
const handlers: Record<string, JobHandler> = Object.fromEntries(
  kinds.map((kind) => [kind, (all as Record<string, JobHandler>)[kind]!]),
);
const leaseSeconds = Number(process.env.WORKER_LEASE_SECONDS ?? 2);

process.stdout.write('worker ready\n');
for (;;) {
  await db.query('select queue.reclaim_expired()');
  await drainJobs(db, {
    worker: `crash-${process.pid}`,
    handlers,
    budgetMs: 2_000,
    leaseSeconds,
    batchSize: 5,
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
}
