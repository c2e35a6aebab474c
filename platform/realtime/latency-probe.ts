/**
 * `realtime.db_to_client_ms`: time from a database change to the `supabase-js` callback of a
 * subscriber on the owner's private channel. The path measured is the real one: the row's
 * broadcast trigger → `realtime.send` → NOTIFY → the gateway → WebSocket → realtime-js.
 *
 * One update at a time (the next starts after the previous arrived), so the figure is latency,
 * not queueing under load. The clock starts just before the UPDATE is sent to the database.
 *
 * Run alone: `npx tsx platform/realtime/latency-probe.ts [updates]` (PGlite, or the database at
 * DATABASE_URL) prints one JSON line. Imported (bench, tests), it prints nothing.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import type { SqlClient } from '../../shared/db/sql.ts';
import { signAccessToken } from './access-token.ts';
import { startRealtimeGateway } from './gateway.ts';
import type { Listen } from './listen.ts';

export interface LatencyProbeOptions {
  db: SqlClient;
  listen: Listen;
  /** Updates measured (default 300), after `warmup` unmeasured ones (default 20). */
  updates?: number;
  warmup?: number;
}

export interface LatencyFigures {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

const PROBE_SECRET = 'latency-probe-jwt-secret-at-least-32-bytes';

export async function measureDbToClientLatency(options: LatencyProbeOptions): Promise<LatencyFigures> {
  const { db } = options;
  const updates = options.updates ?? 300;
  const warmup = options.warmup ?? 20;
  const userId = await one(
    db,
    `insert into auth.users (email) values ('latency-probe-' || gen_random_uuid() || '@example.test') returning id`,
  );
  const accountId = await one(
    db,
    `insert into public.exchange_accounts (owner, label) values ($1, 'Latency probe') returning id`,
    [userId],
  );
  const traderId = await one(
    db,
    `insert into public.traders (owner, name, account_id) values ($1, 'Latency probe', $2) returning id`,
    [userId, accountId],
  );
  const signalId = await one(
    db,
    `insert into public.signals (owner, trader_id, symbol, side) values ($1, $2, 'BTC/USDT', 'long') returning id`,
    [userId, traderId],
  );

  const gateway = await startRealtimeGateway({ db, listen: options.listen, jwtSecret: PROBE_SECRET });
  const supabase = createClient(gateway.url, 'latency-probe-anon-key', {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
  try {
    await supabase.realtime.setAuth(await signAccessToken(PROBE_SECRET, String(userId)));
    const waiting = new Map<string, () => void>();
    const channel = supabase
      .channel(`user:${userId}`, { config: { private: true } })
      .on('broadcast', { event: 'signal' }, (message) => {
        const note = (message.payload as { record?: { note?: string } }).record?.note;
        if (note) waiting.get(note)?.();
      });
    await new Promise<void>((resolve, reject) =>
      channel.subscribe((status, error) => {
        if (status === 'SUBSCRIBED') resolve();
        else reject(error ?? new Error(`latency probe: channel ${status}`));
      }),
    );

    const samples: number[] = [];
    for (let i = 0; i < warmup + updates; i++) {
      const note = `probe-${i}`;
      const arrived = new Promise<void>((resolve) => waiting.set(note, resolve));
      const started = performance.now();
      await db.query('update public.signals set note = $2 where id = $1', [signalId, note]);
      await withTimeout(arrived, 5_000, `latency probe: update ${i} never reached the subscriber`);
      if (i >= warmup) samples.push(performance.now() - started);
      waiting.delete(note);
    }
    return summarise(samples);
  } finally {
    await supabase.removeAllChannels();
    await supabase.realtime.disconnect();
    await gateway.close();
  }
}

function summarise(samples: number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN);
  return { samples: sorted.length, p50: at(0.5), p99: at(0.99), max: round(sorted.at(-1) ?? Number.NaN) };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function one(db: SqlClient, text: string, params: unknown[] = []): Promise<string | number> {
  const rows = await db.query<{ id: string | number }>(text, params);
  if (!rows[0]) throw new Error(`latency probe: no row from ${text}`);
  return rows[0].id;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function main() {
  const updates = Number(process.argv[2] ?? 300);
  const { migrate } = await import('../db/migrate.ts');
  const { listenOnPglite, listenOnPostgres } = await import('./listen.ts');
  const url = process.env.DATABASE_URL;
  let db: SqlClient;
  let listen: Listen;
  if (url) {
    const { connectPostgres } = await import('../../shared/db/postgres-client.ts');
    db = connectPostgres(url, { max: 4, prepare: true });
    listen = listenOnPostgres(url);
  } else {
    const { openPglite } = await import('../db/pglite-client.ts');
    const opened = await openPglite();
    db = opened.db;
    listen = listenOnPglite(opened.pglite);
  }
  try {
    await migrate(db);
    const figures = await measureDbToClientLatency({ db, listen, updates });
    console.log(
      JSON.stringify({
        backend: url ? 'postgres' : 'pglite',
        'realtime.db_to_client_ms_p50': figures.p50,
        'realtime.db_to_client_ms_p99': figures.p99,
        'realtime.db_to_client_ms_max': figures.max,
        samples: figures.samples,
      }),
    );
  } finally {
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
