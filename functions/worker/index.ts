/**
 * worker — drains the durable job queue. Called by pg_net nudges, pg_cron and the local
 * dispatcher with the secret worker key (verify_jwt = false in config.toml), never by users.
 * The handlers are the pipeline's (shared/pipeline); configuration is read in
 * shared/pipeline/env.ts. Sync runs once when an instance starts, so a restarted worker
 * reconciles with the exchanges before anything else.
 *
 * Time: the pipeline and the drain loop take their `now` from one clock. It is the wall clock,
 * except under a local replay (`TRADEFLOW_MARKET_CLOCK=1`, set by the local stack only), where
 * each authenticated request carries the market's time and moves the clock forward
 * (shared/time/market-clock.ts). An unauthenticated request never touches it.
 */
import { Hono } from 'hono';
import { connectPostgres } from '../../shared/db/postgres-client.ts';
import { HttpError, secretsEqual } from '../../shared/http/errors.ts';
import { pipelineDepsFromEnv } from '../../shared/pipeline/env.ts';
import { createHandlers } from '../../shared/pipeline/handlers.ts';
import { enqueueJob } from '../../shared/queue/queue-client.ts';
import { createMarketClock, MARKET_TIME_HEADER } from '../../shared/time/market-clock.ts';
import { drainJobs } from '../../shared/worker/drain.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');
const workerKey = Deno.env.get('TRADEFLOW_WORKER_KEY');
if (!dbUrl || !workerKey) throw new Error('worker: SUPABASE_DB_URL and TRADEFLOW_WORKER_KEY must be set');

const marketClock = Deno.env.get('TRADEFLOW_MARKET_CLOCK') === '1' ? createMarketClock() : undefined;
const now = marketClock?.now ?? Date.now;

// Prepared statements only where the connection is direct (TRADEFLOW_DB_PREPARE=1, the local
// stack): Supabase's transaction-mode pooler cannot keep them.
const db = connectPostgres(dbUrl, {
  max: 2,
  applicationName: 'tradeflow-worker',
  prepare: Deno.env.get('TRADEFLOW_DB_PREPARE') === '1',
});
const handlers = createHandlers(await pipelineDepsFromEnv(Deno.env.toObject(), now));
const drain = () => drainJobs(db, { worker: `edge-${crypto.randomUUID()}`, handlers, budgetMs: 20_000, now });

// Sync on start: enqueued (deduplicated with the cron's sync) and drained with the sync handler only.
enqueueJob(db, 'sync', {}, 'cron:sync')
  .then(() =>
    drainJobs(db, {
      worker: `start-${crypto.randomUUID()}`,
      handlers: { sync: handlers.sync },
      budgetMs: 10_000,
      now,
    }),
  )
  .catch((error) =>
    console.error('worker: start-up sync failed', error instanceof Error ? error.message : error),
  );

const app = new Hono().basePath('/worker');

app.onError((error, c) => {
  if (error instanceof HttpError) return c.json(error.toBody(), error.status);
  console.error('worker error', error instanceof Error ? error.message : error);
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
});

app.use('*', async (c, next) => {
  const token = c.req.header('authorization')?.replace(/^Bearer\s+/i, '') ?? '';
  if (!secretsEqual(token, workerKey))
    throw new HttpError(401, 'unauthorized', 'a valid worker key is required');
  marketClock?.advance(c.req.header(MARKET_TIME_HEADER));
  await next();
});

app.get('/health', (c) => c.json({ ok: true, handlers: Object.keys(handlers) }));

app.post('/', async (c) => c.json(await drain()));

Deno.serve(app.fetch);
