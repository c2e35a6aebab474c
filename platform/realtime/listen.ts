/**
 * LISTEN, whatever runs the database: the gateway learns of new broadcasts through the NOTIFY
 * that `realtime.send` raises (channel `realtime_messages`, payload = message id). Supabase's
 * own server reads the WAL instead; a NOTIFY is the local equivalent that needs no replication
 * slot and works on PGlite.
 */
import type { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';

/** Subscribes `onPayload` to a notification channel; resolves to a function that stops it. */
export type Listen = (channel: string, onPayload: (payload: string) => void) => Promise<() => Promise<void>>;

/** PGlite delivers notifications in-process, right after the notifying statement commits. */
export function listenOnPglite(pglite: PGlite): Listen {
  return async (channel, onPayload) => {
    const unsubscribe = await pglite.listen(channel, onPayload);
    return async () => {
      if (!pglite.closed) await unsubscribe();
    };
  };
}

/**
 * A real PostgreSQL: one dedicated postgres.js connection that only listens (a pooled
 * connection could be handed to a transaction and miss notifications). Stopping it closes the
 * connection.
 */
export function listenOnPostgres(url: string): Listen {
  return async (channel, onPayload) => {
    const sql = postgres(url, {
      max: 1,
      onnotice: () => {},
      connection: { application_name: 'tradeflow-realtime-listen' },
    });
    const { unlisten } = await sql.listen(channel, onPayload);
    return async () => {
      await unlisten();
      await sql.end({ timeout: 5 });
    };
  };
}
