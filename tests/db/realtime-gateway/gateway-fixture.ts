/**
 * A Realtime gateway on a fresh database of either backend, and real `supabase-js` clients
 * that subscribe to it. PGlite needs its own handle for LISTEN, so the embedded database is
 * opened here rather than through freshDatabase.
 */
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { migrate } from '../../../platform/db/migrate.ts';
import { openPglite } from '../../../platform/db/pglite-client.ts';
import { signAccessToken } from '../../../platform/realtime/access-token.ts';
import { type RealtimeGateway, startRealtimeGateway } from '../../../platform/realtime/gateway.ts';
import { type Listen, listenOnPglite, listenOnPostgres } from '../../../platform/realtime/listen.ts';
import type { SqlClient } from '../../../shared/db/sql.ts';
import { type Backend, freshDatabase } from '../../support/databases.ts';

export const JWT_SECRET = 'gateway-test-jwt-secret-with-at-least-32-bytes';
export const ANON_KEY = 'local-anon-key';

export interface GatewayDatabase {
  db: SqlClient;
  listen: Listen;
  close(): Promise<void>;
}

export async function gatewayDatabase(backend: Backend): Promise<GatewayDatabase> {
  if (backend === 'pglite') {
    const { db, pglite } = await openPglite();
    await migrate(db);
    return { db, listen: listenOnPglite(pglite), close: () => db.close() };
  }
  const database = await freshDatabase('postgres');
  return { db: database.db, listen: listenOnPostgres(database.url!), close: () => database.close() };
}

export async function startGateway(database: GatewayDatabase): Promise<RealtimeGateway> {
  return startRealtimeGateway({ db: database.db, listen: database.listen, jwtSecret: JWT_SECRET });
}

export const tokenFor = (userId: string, options: { expiresInSeconds?: number; now?: Date } = {}) =>
  signAccessToken(JWT_SECRET, userId, options);

export interface ClientOptions {
  heartbeatIntervalMs?: number;
  heartbeatCallback?: (status: string) => void;
  vsn?: '1.0.0' | '2.0.0';
}

/** A real supabase-js client pointed at the gateway, with its Realtime token set. */
export async function realtimeClient(
  gateway: RealtimeGateway,
  token: string,
  options: ClientOptions = {},
): Promise<SupabaseClient> {
  const supabase = createClient(gateway.url, ANON_KEY, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: {
      transport: WebSocket as never,
      ...(options.vsn ? { vsn: options.vsn } : {}),
      ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
      ...(options.heartbeatCallback ? { heartbeatCallback: options.heartbeatCallback } : {}),
    },
  });
  await supabase.realtime.setAuth(token);
  return supabase;
}

export interface Broadcast {
  event: string;
  payload: { table: string; op: string; record: Record<string, unknown> & { id: number; status?: string } };
}

export interface Subscription {
  channel: RealtimeChannel;
  received: Broadcast[];
  /** Every status the subscribe callback reported, in order. */
  statuses: string[];
  /** How the join ended: SUBSCRIBED, or CHANNEL_ERROR / TIMED_OUT with the reason. */
  joined: Promise<{ status: string; reason?: string }>;
  /** Resolves once `predicate` holds for the messages received so far. */
  until(predicate: (received: Broadcast[]) => boolean, timeoutMs?: number): Promise<Broadcast[]>;
}

export function subscribe(
  supabase: SupabaseClient,
  topic: string,
  options: { private?: boolean; event?: string; ack?: boolean } = {},
): Subscription {
  const received: Broadcast[] = [];
  const statuses: string[] = [];
  const waiters = new Set<() => void>();
  const channel = supabase
    .channel(topic, {
      config: { private: options.private ?? true, broadcast: { ack: options.ack ?? false } },
    })
    .on('broadcast', { event: options.event ?? '*' }, (message) => {
      received.push({ event: message.event, payload: message.payload as Broadcast['payload'] });
      for (const wake of waiters) wake();
    });
  const joined = new Promise<{ status: string; reason?: string }>((resolve) => {
    channel.subscribe((status, error) => {
      statuses.push(status);
      resolve(error ? { status, reason: error.message } : { status });
    });
  });
  return {
    channel,
    received,
    statuses,
    joined,
    until(predicate, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(received)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(received);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`timed out; received ${JSON.stringify(received.map((m) => m.payload.record?.status))}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Leaves every channel and closes the socket, so no reconnect timer outlives a test. */
export async function closeClient(supabase: SupabaseClient): Promise<void> {
  await supabase.removeAllChannels();
  await supabase.realtime.disconnect();
}

/** Resolves once `condition` holds (polled), or fails after `timeoutMs`. */
export async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
