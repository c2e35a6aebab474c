/**
 * The whole local stack, started programmatically (`npm start` is a thin CLI over this):
 *
 *   database (embedded PGlite, or DATABASE_URL) → migrations + seed → the local exchange server
 *   replaying the market → the demo user, trader and paper account → the HTTP front
 *   (/functions/v1/<name> → one Deno process per function; /realtime/v1/websocket → the
 *   gateway) → the dispatcher (NOTIFY queue_jobs → POST worker) → the schedules where pg_cron
 *   is absent → the replay loop, which reveals candles, wakes the market-driven jobs and lets
 *   the analyst post signals.
 *
 * `stop()` shuts down in the reverse order, after the worker's request in flight has finished,
 * so that nothing is cut off mid-job (and what the queue holds survives for the next start).
 */
import { chooseAnalyst } from '../../shared/analyst/choose-analyst.ts';
import type { Analyst } from '../../shared/analyst/port.ts';
import type { SqlClient } from '../../shared/db/sql.ts';
import { MARKET_TIME_HEADER } from '../../shared/time/market-clock.ts';
import { repoPath } from '../paths.ts';
import { signAccessToken } from '../realtime/access-token.ts';
import { type RealtimeGateway, startRealtimeGateway } from '../realtime/gateway.ts';
import { type ScheduleRunner, startSchedules } from '../scheduler.ts';
import { openStackDatabase, type StackDatabase } from './database.ts';
import { type DemoSetup, prepareDemo } from './demo.ts';
import { type Dispatcher, startDispatcher } from './dispatcher.ts';
import { startFront } from './front.ts';
import { type SupervisedFunction, superviseFunction } from './functions.ts';
import { type MarketReplay, startMarketReplay } from './market-replay.ts';
import { DEFAULT_DB_PORT, DEFAULT_FRONT_PORT, DEFAULT_SPEED, type StackOptions } from './options.ts';
import { type SessionSnapshot, takeSnapshot } from './progress.ts';
import { loadOrCreateSecrets, signAnonKey } from './secrets.ts';
import { createSignalSource, type SignalSource } from './signal-source.ts';

export type { StackOptions } from './options.ts';

/** Jobs the market's clock drives (the schedules drive them too, on the wall clock). */
const MARKET_JOBS = ['sync', 'monitor', 'risk'] as const;
const FUNCTIONS = ['api', 'worker'] as const;
/**
 * Worker settings passed through from the stack's environment when set: the exchange request
 * timeout and the in-flight window of order sends (shared/pipeline/env.ts).
 */
const WORKER_TUNABLES = ['TRADEFLOW_EXCHANGE_TIMEOUT_MS', 'TRADEFLOW_ORDER_IN_FLIGHT_MS'] as const;

export interface SessionSummary extends SessionSnapshot {
  database: 'pglite' | 'postgres';
  analyst: string;
  speed: number | 'max';
  symbols: string[];
  signalsPosted: number;
  workerPosts: number;
  workerHandlers: string[];
  ended: boolean;
  settled: boolean;
  elapsedMs: number;
}

export interface Stack {
  /** The project URL: createClient(url, anonKey). */
  url: string;
  anonKey: string;
  jwtSecret: string;
  workerKey: string;
  /** A signed access token of the demo user (7 days). */
  demoToken: string;
  demo: DemoSetup;
  database: StackDatabase;
  db: SqlClient;
  replay: MarketReplay;
  dispatcher: Dispatcher;
  gateway: RealtimeGateway;
  /** The Deno processes, restarted by their supervisor if they exit unexpectedly. */
  functions: Record<string, SupervisedFunction>;
  analyst: Analyst;
  /** Kinds the worker has handlers for, as its /health reported at start. */
  workerHandlers: string[];
  /** Resolves when the replay has reached its end (and, with exitWhenDone, the pipeline settled). */
  done: Promise<SessionSummary>;
  snapshot(): Promise<SessionSnapshot>;
  summary(): Promise<SessionSummary>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const started = Date.now();
  const log = options.log ?? ((line: string) => console.error(line));
  const env = options.env ?? process.env;
  const speed = options.speed ?? DEFAULT_SPEED;
  const secrets = loadOrCreateSecrets(options.stateDir ?? repoPath('.tradeflow'));
  const anonKey = await signAnonKey(secrets.jwtSecret);
  const cleanup: (() => Promise<void>)[] = [];
  const undo = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };

  try {
    const database = await openStackDatabase({
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      reset: options.reset ?? false,
      wirePort: options.dbPort ?? DEFAULT_DB_PORT,
    });
    cleanup.push(() => database.close());
    const { db } = database;

    const replay = await startMarketReplay({
      db,
      ...(options.dataFiles ? { dataFiles: options.dataFiles } : {}),
      ...(options.candles !== undefined ? { candles: options.candles } : {}),
      ...(options.warmup !== undefined ? { warmup: options.warmup } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      log,
    });
    cleanup.push(() => replay.close());
    const demo = await prepareDemo(db, replay.symbols);

    const marketHeaders = () => ({ [MARKET_TIME_HEADER]: String(replay.marketTime()) });
    const front = await startFront({
      port: options.port ?? DEFAULT_FRONT_PORT,
      forwardHeaders: marketHeaders,
    });
    cleanup.push(() => front.close());
    const gateway = await startRealtimeGateway({
      db,
      listen: database.listen,
      jwtSecret: secrets.jwtSecret,
      server: front.server,
      apiKeys: [anonKey],
      onError: (error) => log(`realtime: ${message(error)}`),
    });
    cleanup.push(() => gateway.close());

    const useOpenAi = options.analyst ? options.analyst === 'openai' : Boolean(env.OPENAI_API_KEY?.trim());
    const functionEnv: Record<string, string> = {
      SUPABASE_URL: front.url,
      SUPABASE_ANON_KEY: anonKey,
      SUPABASE_DB_URL: database.wireUrl,
      // A direct connection (a PostgreSQL server, or the PGlite multiplexer, which renames each
      // connection's statements): prepared statements are safe and halve the per-statement cost.
      TRADEFLOW_DB_PREPARE: '1',
      SUPABASE_JWT_SECRET: secrets.jwtSecret,
      TRADEFLOW_WORKER_KEY: secrets.workerKey,
      TRADEFLOW_MASTER_KEY: secrets.masterKey,
      TRADEFLOW_EXCHANGE_URLS: JSON.stringify({ binance: replay.exchange.url, ...options.exchangeUrls }),
    };
    for (const name of WORKER_TUNABLES) {
      const value = env[name]?.trim();
      if (value) functionEnv[name] = value;
    }
    // The worker analyses with the same analyst the session uses: no key, no OpenAI.
    if (useOpenAi) {
      for (const [name, value] of Object.entries(env)) {
        if (name.startsWith('OPENAI_') && value !== undefined) functionEnv[name] = value;
      }
    }
    const functions: Record<string, SupervisedFunction> = {};
    await Promise.all(
      FUNCTIONS.map(async (name) => {
        const fn = await superviseFunction({
          name,
          env: functionEnv,
          marketClock: name === 'worker',
          onOutput: (line) => log(`[${name}] ${line}`),
          // The first process and every restart (on a new port) serve behind the same path.
          onStart: (served) => front.route(name, served.url),
          log,
        });
        functions[name] = fn;
        cleanup.push(() => fn.stop());
      }),
    );

    const health = await fetch(`${front.url}/functions/v1/worker/health`, {
      headers: { authorization: `Bearer ${secrets.workerKey}` },
    });
    const workerHandlers = ((await health.json()) as { handlers?: string[] }).handlers ?? [];

    const dispatcher = await startDispatcher({
      db,
      listen: database.listen,
      workerUrl: `${front.url}/functions/v1/worker`,
      workerKey: secrets.workerKey,
      headers: marketHeaders,
      handledKinds: () => workerHandlers,
      onError: (error) => log(`dispatcher: ${message(error)}`),
    });
    cleanup.push(() => dispatcher.stop());
    const schedules: ScheduleRunner = await startSchedules(db, (name, error) =>
      log(`schedule ${name} failed: ${message(error)}`),
    );
    cleanup.push(async () => schedules.stop());

    const analyst = chooseAnalyst(useOpenAi ? env : {});
    const demoToken = await signAccessToken(secrets.jwtSecret, demo.userId, { expiresInSeconds: 7 * 86_400 });
    const source: SignalSource = createSignalSource({
      db,
      analyst,
      replay,
      url: front.url,
      accessToken: demoToken,
      traderId: demo.traderId,
      onError: (error) => log(`analyst: ${message(error)}`),
    });

    const session = runSession({
      db,
      replay,
      dispatcher,
      source,
      speed,
      signalEvery: options.signalEvery ?? 10,
      settleAtEnd: options.exitWhenDone ?? false,
      workerHandlers,
      log,
    });

    const snapshot = () =>
      takeSnapshot(db, demo.userId, { marketTime: replay.marketTime(), candles: replay.revealed() });
    const summary = async (): Promise<SessionSummary> => ({
      database: database.kind,
      analyst: analyst.kind,
      speed,
      symbols: replay.symbols,
      signalsPosted: source.posted(),
      workerPosts: dispatcher.posts(),
      workerHandlers,
      ended: replay.ended(),
      settled: session.settled(),
      elapsedMs: Date.now() - started,
      ...(await snapshot()),
    });
    const done = session.finished.then(summary);
    done.catch(() => {});

    let stopping: Promise<void> | undefined;
    return {
      url: front.url,
      anonKey,
      jwtSecret: secrets.jwtSecret,
      workerKey: secrets.workerKey,
      demoToken,
      demo,
      database,
      db,
      replay,
      dispatcher,
      gateway,
      functions,
      analyst,
      workerHandlers,
      done,
      snapshot,
      summary,
      stop() {
        stopping ??= (async () => {
          await session.stop();
          await dispatcher.idle();
          await undo();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await undo();
    throw error;
  }
}

interface SessionOptions {
  db: SqlClient;
  replay: MarketReplay;
  dispatcher: Dispatcher;
  source: SignalSource;
  speed: number | 'max';
  signalEvery: number;
  settleAtEnd: boolean;
  workerHandlers: string[];
  log: (line: string) => void;
}

/**
 * The replay loop. At speed x a tick (one shortest interval) takes interval / x of wall time; at
 * "max" the next tick waits until the worker has handled what the last one caused (bounded, so
 * a job stuck in retries cannot stall the replay).
 */
function runSession(options: SessionOptions) {
  const { db, replay, dispatcher, source } = options;
  let stopped = false;
  let settled = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const settle = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    let quietRounds = 0;
    while (!stopped && Date.now() < deadline) {
      await dispatcher.idle();
      const [row] = await db.query<{ busy: number }>(
        `select count(*)::int as busy from queue.jobs
          where kind = any($1::text[])
            and ((status = 'queued' and run_at <= now()) or status = 'running')`,
        [options.workerHandlers],
      );
      quietRounds = (row?.busy ?? 0) === 0 ? quietRounds + 1 : 0;
      if (quietRounds >= 2) return true;
      if ((row?.busy ?? 0) > 0) dispatcher.nudge();
      await sleep(quietRounds > 0 ? 5 : 20);
    }
    return false;
  };

  const finished = (async () => {
    const wallStart = Date.now();
    let ticks = 0;
    while (!stopped && !replay.ended()) {
      const tick = await replay.tick();
      ticks += 1;
      if (tick.revealed.length > 0) {
        await db.query(
          `select ${MARKET_JOBS.map((_, i) => `queue.enqueue($${i + 1}, '{}'::jsonb, 'cron:' || $${i + 1})`).join(', ')}`,
          [...MARKET_JOBS],
        );
        if (ticks % options.signalEvery === 0) await source.scan();
      }
      if (options.speed === 'max') await settle(5_000);
      else {
        const due = wallStart + (ticks * replay.tickMs) / options.speed;
        // In slices: timers cannot wait longer than 2^31 - 1 ms (a very slow replay).
        while (!stopped && Date.now() < due) await sleep(Math.min(due - Date.now(), 3_600_000));
      }
    }
    if (!stopped && options.settleAtEnd) settled = await settle(60_000);
  })();
  finished.catch((error) => options.log(`replay: ${message(error)}`));

  return {
    finished,
    settled: () => settled,
    async stop() {
      stopped = true;
      wake?.();
      await finished.catch(() => {});
    },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
