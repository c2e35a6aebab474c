/**
 * The local dispatcher: what pg_net does on Supabase. Every `NOTIFY queue_jobs` (raised once per
 * transaction that enqueues) becomes a POST to the worker function with the worker key. Bursts
 * coalesce: while a POST is in flight, further notifications only mark that another is needed,
 * so at most one POST runs at a time and none is lost — the worker drains until the queue is
 * empty, and the follow-up POST picks up whatever arrived meanwhile. A slow heartbeat also
 * POSTs while due jobs exist (retries whose backoff ended raise no notification).
 */
import type { SqlClient } from '../../shared/db/sql.ts';
import type { Listen } from '../realtime/listen.ts';

export interface DispatcherOptions {
  db: SqlClient;
  listen: Listen;
  /** The worker's URL (`…/functions/v1/worker`). */
  workerUrl: string;
  workerKey: string;
  /** Extra headers for each POST (the market clock). */
  headers?: () => Record<string, string>;
  /** Kinds the worker has handlers for (its /health); the heartbeat ignores other due jobs. */
  handledKinds?: () => readonly string[];
  /** How often to look for due jobs without a notification. Default 1 s. */
  heartbeatMs?: number;
  onError?: (error: unknown) => void;
}

export interface Dispatcher {
  /** POSTs made so far. */
  posts(): number;
  /** Asks for a POST (coalesced like a notification). */
  nudge(): void;
  /** Resolves when no POST is in flight or wanted. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export const QUEUE_CHANNEL = 'queue_jobs';

export async function startDispatcher(options: DispatcherOptions): Promise<Dispatcher> {
  const onError = options.onError ?? (() => {});
  let posts = 0;
  let inFlight: Promise<void> | undefined;
  let wanted = false;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  const post = async () => {
    posts += 1;
    const response = await fetch(options.workerUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.workerKey}`,
        'content-type': 'application/json',
        ...(options.headers?.() ?? {}),
      },
      body: JSON.stringify({ reason: 'dispatcher' }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`worker answered ${response.status}: ${text.slice(0, 200)}`);
  };

  const run = () => {
    if (inFlight || stopped) return;
    wanted = false;
    inFlight = post()
      .catch((error) => {
        if (!stopped) onError(error);
      })
      .finally(() => {
        inFlight = undefined;
        if (wanted && !stopped) run();
        else {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
  };

  const nudge = () => {
    wanted = true;
    run();
  };

  const unlisten = await options.listen(QUEUE_CHANNEL, nudge);
  const heartbeat = setInterval(async () => {
    if (inFlight || stopped) return;
    try {
      const kinds = options.handledKinds?.() ?? null;
      if (kinds && kinds.length === 0) return;
      const [row] = await options.db.query<{ due: boolean }>(
        `select exists (select 1 from queue.jobs
                         where status = 'queued' and run_at <= now()
                           and ($1::text[] is null or kind = any($1::text[]))) as due`,
        [kinds],
      );
      if (row?.due) nudge();
    } catch (error) {
      if (!stopped) onError(error);
    }
  }, options.heartbeatMs ?? 1_000);

  return {
    posts: () => posts,
    nudge,
    idle: () =>
      !inFlight && !wanted ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
    async stop() {
      stopped = true;
      clearInterval(heartbeat);
      await unlisten();
      await inFlight;
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    },
  };
}
