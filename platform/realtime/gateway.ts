/**
 * The local Realtime gateway: the subset of Supabase Realtime that `supabase-js` needs to
 * receive broadcasts from the database on private channels.
 *
 * What it speaks (Phoenix channels over a WebSocket at `/realtime/v1/websocket`, vsn 1.0.0 or
 * 2.0.0): `phx_join` with `access_token`, `phx_leave`, `heartbeat` on topic `phoenix`,
 * `access_token` refreshes, and server broadcasts. What it deliberately does not:
 *  - client broadcasts (`channel.send`) are refused with an error reply: the database is the
 *    only publisher, and no insert policy on `realtime.messages` would allow them on Supabase;
 *  - presence and postgres_changes: a join asking for postgres_changes is refused with a reason
 *    (Supabase recommends broadcast from the database); presence config is accepted and inert;
 *  - no catch-up: a subscriber receives what is sent after its join is acknowledged, as on
 *    Supabase without `broadcast.replay`.
 * Public channels (config.private false) may join any topic except the private `user:<uid>`
 * ones, and receive only messages sent with `private = false`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SqlClient } from '../../shared/db/sql.ts';
import { type AccessClaims, millisUntilExpiry, verifyAccessToken } from './access-token.ts';
import type { Listen } from './listen.ts';
import { decodeFrame, encodeFrame, type Frame, SUPPORTED_VSNS, type Vsn } from './protocol.ts';
import { mayReadTopic } from './topic-authorisation.ts';

export const WEBSOCKET_PATH = '/realtime/v1/websocket';
/** The NOTIFY channel `realtime.send` raises (platform/sql/supabase-platform.sql). */
export const NOTIFY_CHANNEL = 'realtime_messages';
/** Topics only a private channel may join: the per-user topics the database broadcasts to. */
const PRIVATE_TOPIC_PREFIX = 'user:';
/** Messages fetched per query when many notifications arrive at once. */
const FETCH_BATCH = 500;

export interface RealtimeGatewayOptions {
  /** Owner/service connection: reads messages and evaluates RLS probes as the subscriber. */
  db: SqlClient;
  listen: Listen;
  /** HS256 secret the access tokens are signed with. */
  jwtSecret: string;
  /** Default 0 (an ephemeral port); ignored when `server` is given. */
  port?: number;
  host?: string;
  /** Serve on an existing HTTP server (e.g. the one serving /functions/v1) instead of a new one. */
  server?: Server;
  /** When given, the `apikey` query parameter must be one of these. */
  apiKeys?: readonly string[];
  now?: () => Date;
  /** Unexpected failures (database errors while delivering); default: ignored after close. */
  onError?: (error: unknown) => void;
}

export interface RealtimeGateway {
  /** Base URL for `createClient(url, key)`. */
  url: string;
  port: number;
  /** Open WebSocket connections. */
  connectionCount(): number;
  close(): Promise<void>;
}

interface Subscription {
  connection: Connection;
  topic: string;
  subTopic: string;
  joinRef: string | null;
  private: boolean;
  claims: AccessClaims | undefined;
  expiry: NodeJS.Timeout | undefined;
}

interface Connection {
  socket: WebSocket;
  vsn: Vsn;
  channels: Map<string, Subscription>;
  /** Frames of one connection are handled in order: a leave never overtakes its join. */
  queue: Promise<void>;
}

interface Message {
  id: number;
  topic: string;
  event: string | null;
  payload: unknown;
  private: boolean;
}

export async function startRealtimeGateway(options: RealtimeGatewayOptions): Promise<RealtimeGateway> {
  const { db } = options;
  const secret = new TextEncoder().encode(options.jwtSecret);
  const now = options.now ?? (() => new Date());
  const onError = options.onError ?? (() => {});
  const connections = new Set<Connection>();
  /** Joined channels by sub-topic (`user:<uid>`), for delivery. */
  const bySubTopic = new Map<string, Set<Subscription>>();
  let closing = false;

  const send = (connection: Connection, frame: Frame) => {
    if (connection.socket.readyState === connection.socket.OPEN) {
      connection.socket.send(encodeFrame(connection.vsn, frame));
    }
  };
  const reply = (connection: Connection, to: Frame, status: 'ok' | 'error', response: object) =>
    send(connection, {
      join_ref: to.join_ref,
      ref: to.ref,
      topic: to.topic,
      event: 'phx_reply',
      payload: { status, response },
    });

  const unsubscribe = (subscription: Subscription) => {
    clearTimeout(subscription.expiry);
    subscription.connection.channels.delete(subscription.topic);
    const set = bySubTopic.get(subscription.subTopic);
    set?.delete(subscription);
    if (set?.size === 0) bySubTopic.delete(subscription.subTopic);
  };

  /** Ends a channel from the server side, telling the client why (as Supabase does). */
  const shutChannel = (subscription: Subscription, message: string) => {
    unsubscribe(subscription);
    const { connection, topic, subTopic, joinRef } = subscription;
    send(connection, {
      join_ref: joinRef,
      ref: null,
      topic,
      event: 'system',
      payload: { message, status: 'error', extension: 'system', channel: subTopic },
    });
    send(connection, { join_ref: joinRef, ref: null, topic, event: 'phx_close', payload: {} });
  };

  /** Closes the channel when its token expires: an expired token must not keep receiving. */
  const armExpiry = (subscription: Subscription) => {
    clearTimeout(subscription.expiry);
    subscription.expiry = undefined;
    const left = subscription.claims && millisUntilExpiry(subscription.claims, now());
    if (left === undefined) return;
    subscription.expiry = setTimeout(
      () => shutChannel(subscription, 'Token has expired'),
      Math.max(0, Math.min(left, 2 ** 31 - 1)),
    );
    subscription.expiry.unref();
  };

  /** Who may join `subTopic`: undefined when allowed, otherwise the refusal reason. */
  const refusal = async (subTopic: string, isPrivate: boolean, claims: AccessClaims | undefined) => {
    if (!isPrivate) {
      return subTopic.startsWith(PRIVATE_TOPIC_PREFIX)
        ? `PrivateOnly: topic ${subTopic} is private; join it with config.private = true`
        : undefined;
    }
    if (!claims) return 'Unauthorized: a private channel needs an access token (supabase.realtime.setAuth)';
    return (await mayReadTopic(db, claims, subTopic))
      ? undefined
      : `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`;
  };

  const join = async (connection: Connection, frame: Frame) => {
    if (!frame.topic.startsWith('realtime:')) {
      return reply(connection, frame, 'error', { reason: 'unmatched topic' });
    }
    const subTopic = frame.topic.slice('realtime:'.length);
    const config = (frame.payload.config ?? {}) as Record<string, unknown>;
    const isPrivate = config.private === true;
    const postgresChanges = config.postgres_changes;
    if (Array.isArray(postgresChanges) && postgresChanges.length > 0) {
      return reply(connection, frame, 'error', {
        reason: 'postgres_changes is not supported by the local gateway; use broadcast from the database',
      });
    }
    let claims: AccessClaims | undefined;
    const token = frame.payload.access_token;
    if (typeof token === 'string' && token !== '') {
      const check = await verifyAccessToken(token, secret, now());
      if (!check.ok) return reply(connection, frame, 'error', { reason: check.reason });
      claims = check.claims;
    }
    const reason = await refusal(subTopic, isPrivate, claims);
    if (reason) return reply(connection, frame, 'error', { reason });

    // A second join of the same topic replaces the first, as in Phoenix.
    const previous = connection.channels.get(frame.topic);
    if (previous) {
      unsubscribe(previous);
      send(connection, {
        join_ref: previous.joinRef,
        ref: null,
        topic: frame.topic,
        event: 'phx_close',
        payload: {},
      });
    }
    const subscription: Subscription = {
      connection,
      topic: frame.topic,
      subTopic,
      joinRef: frame.join_ref,
      private: isPrivate,
      claims,
      expiry: undefined,
    };
    connection.channels.set(frame.topic, subscription);
    const set = bySubTopic.get(subTopic) ?? new Set<Subscription>();
    bySubTopic.set(subTopic, set);
    set.add(subscription);
    armExpiry(subscription);
    reply(connection, frame, 'ok', { postgres_changes: [] });
  };

  /** Token refresh: re-verified and re-authorised; a channel the new token may not read is closed. */
  const refreshToken = async (subscription: Subscription, frame: Frame) => {
    const token = frame.payload.access_token;
    const check =
      typeof token === 'string' && token !== ''
        ? await verifyAccessToken(token, secret, now())
        : ({ ok: false, reason: 'InvalidJWTToken: no access token' } as const);
    if (!check.ok) return shutChannel(subscription, check.reason);
    const reason = await refusal(subscription.subTopic, subscription.private, check.claims);
    if (reason) return shutChannel(subscription, reason);
    subscription.claims = check.claims;
    armExpiry(subscription);
    reply(subscription.connection, frame, 'ok', {});
  };

  const handle = async (connection: Connection, frame: Frame) => {
    if (frame.topic === 'phoenix') {
      if (frame.event === 'heartbeat') reply(connection, frame, 'ok', {});
      return;
    }
    if (frame.event === 'phx_join') return join(connection, frame);
    const subscription = connection.channels.get(frame.topic);
    if (!subscription) return reply(connection, frame, 'error', { reason: 'unmatched topic' });
    switch (frame.event) {
      case 'phx_leave':
        unsubscribe(subscription);
        return reply(connection, frame, 'ok', {});
      case 'access_token':
        return refreshToken(subscription, frame);
      case 'broadcast':
        return reply(connection, frame, 'error', {
          reason:
            'client broadcast is not supported by the local gateway; the database is the only publisher',
        });
      default:
        return reply(connection, frame, 'error', {
          reason: `${frame.event} is not supported by the local gateway`,
        });
    }
  };

  // --- delivery: NOTIFY carries a message id; fetch in batches, push in notification order.
  let pending: number[] = [];
  let draining: Promise<void> | undefined;

  const deliver = (message: Message) => {
    const subscribers = bySubTopic.get(message.topic);
    if (!subscribers) return;
    const payload = { type: 'broadcast', event: message.event, payload: message.payload };
    for (const subscription of subscribers) {
      if (subscription.private !== message.private) continue;
      send(subscription.connection, {
        join_ref: subscription.joinRef,
        ref: null,
        topic: subscription.topic,
        event: 'broadcast',
        payload,
      });
    }
  };

  const drain = async () => {
    while (pending.length > 0 && !closing) {
      const ids = pending.slice(0, FETCH_BATCH);
      pending = pending.slice(FETCH_BATCH);
      // Nobody listening → nothing to fetch; the rows stay in realtime.messages regardless.
      if (bySubTopic.size === 0) continue;
      const rows = await db.query<Message>(
        `select id, topic, event, payload, private from realtime.messages
          where id = any(pg_catalog.string_to_array($1, ',')::bigint[]) and extension = 'broadcast'`,
        [ids.join(',')],
      );
      const byId = new Map(rows.map((row) => [Number(row.id), row]));
      for (const id of ids) {
        const message = byId.get(id);
        if (message) deliver(message);
      }
    }
  };

  const startDrain = () => {
    if (draining || closing) return;
    draining = drain()
      .catch((error) => {
        if (!closing) onError(error);
      })
      .finally(() => {
        draining = undefined;
        // A notification that arrived while the loop was finishing still needs a drain.
        if (pending.length > 0) startDrain();
      });
  };

  const onNotify = (payload: string) => {
    const id = Number(payload);
    if (!Number.isSafeInteger(id) || closing) return;
    pending.push(id);
    startDrain();
  };

  const unlisten = await options.listen(NOTIFY_CHANNEL, onNotify);

  // --- transport
  const wss = new WebSocketServer({ noServer: true });
  const server = options.server ?? createServer((_req, res) => res.writeHead(404).end());

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== WEBSOCKET_PATH) {
      if (!options.server) refuseUpgrade(socket, 404, 'Not Found');
      return; // on a shared server, another handler may own this path
    }
    const vsn = (url.searchParams.get('vsn') ?? '1.0.0') as Vsn;
    if (!SUPPORTED_VSNS.includes(vsn)) return refuseUpgrade(socket, 400, 'Bad Request');
    const apikey = url.searchParams.get('apikey') ?? '';
    if (options.apiKeys && !options.apiKeys.includes(apikey)) return refuseUpgrade(socket, 403, 'Forbidden');
    if (closing) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws, vsn));
  };
  server.on('upgrade', onUpgrade);

  const accept = (socket: WebSocket, vsn: Vsn) => {
    const connection: Connection = { socket, vsn, channels: new Map(), queue: Promise.resolve() };
    connections.add(connection);
    socket.on('message', (data, isBinary) => {
      const frame = decodeFrame(vsn, toBuffer(data), isBinary);
      if (!frame) return;
      connection.queue = connection.queue
        .then(() => handle(connection, frame))
        .catch((error) => {
          reply(connection, frame, 'error', { reason: 'internal error' });
          if (!closing) onError(error);
        });
    });
    socket.on('close', () => {
      connections.delete(connection);
      for (const subscription of [...connection.channels.values()]) unsubscribe(subscription);
    });
    socket.on('error', () => socket.terminate());
  };

  if (!options.server) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const host = options.host ?? '127.0.0.1';

  return {
    url: `http://${host}:${port}`,
    port,
    connectionCount: () => connections.size,
    async close() {
      if (closing) return;
      closing = true;
      pending = [];
      server.off('upgrade', onUpgrade);
      await unlisten();
      await draining;
      // Going away (1001) tells clients the server is shutting down, not that they misbehaved.
      await Promise.all(
        [...connections].map(
          (connection) =>
            new Promise<void>((resolve) => {
              for (const subscription of [...connection.channels.values()]) unsubscribe(subscription);
              if (connection.socket.readyState === connection.socket.CLOSED) return resolve();
              const force = setTimeout(() => connection.socket.terminate(), 1_000);
              connection.socket.once('close', () => {
                clearTimeout(force);
                resolve();
              });
              connection.socket.close(1001, 'server shutting down');
            }),
        ),
      );
      wss.close();
      if (!options.server) {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

function refuseUpgrade(socket: Duplex, status: number, text: string) {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}
