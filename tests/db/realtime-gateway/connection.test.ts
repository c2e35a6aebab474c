import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { advanceSignal, paperAccount, signal, trader } from '../../support/builders.ts';
import { BACKENDS, createUser } from '../../support/databases.ts';
import {
  ANON_KEY,
  closeClient,
  eventually,
  type GatewayDatabase,
  gatewayDatabase,
  realtimeClient,
  sleep,
  startGateway,
  subscribe,
  tokenFor,
} from './gateway-fixture.ts';

describe.each(BACKENDS)('realtime gateway: connection (%s)', (backend) => {
  let database: GatewayDatabase;
  let alice: string;
  let aliceTrader: number;

  beforeAll(async () => {
    database = await gatewayDatabase(backend);
    alice = await createUser(database.db);
    aliceTrader = await trader(database.db, alice, await paperAccount(database.db, alice));
  });

  afterAll(async () => {
    await database?.close();
  });

  it('answers heartbeats, so a client stays connected and subscribed over several intervals', async () => {
    const gateway = await startGateway(database);
    const heartbeats: string[] = [];
    const supabase = await realtimeClient(gateway, await tokenFor(alice), {
      heartbeatIntervalMs: 100,
      heartbeatCallback: (status) => heartbeats.push(status),
    });
    try {
      const subscription = subscribe(supabase, `user:${alice}`);
      expect(await subscription.joined).toEqual({ status: 'SUBSCRIBED' });
      await sleep(450);

      expect(heartbeats.filter((status) => status === 'ok').length).toBeGreaterThanOrEqual(3);
      expect(heartbeats).not.toContain('timeout');
      expect(supabase.realtime.isConnected()).toBe(true);
      expect(subscription.statuses).toEqual(['SUBSCRIBED']);

      const signalId = await signal(database.db, alice, aliceTrader);
      await advanceSignal(database.db, signalId, 'analyzing');
      await subscription.until(
        (messages) => messages.filter((m) => m.payload.record.id === signalId).length === 2,
      );
    } finally {
      await closeClient(supabase);
      await gateway.close();
    }
  });

  it('closes every socket on shutdown and accepts no new connection', async () => {
    const gateway = await startGateway(database);
    const supabase = await realtimeClient(gateway, await tokenFor(alice));
    try {
      expect(await subscribe(supabase, `user:${alice}`).joined).toEqual({ status: 'SUBSCRIBED' });
      expect(gateway.connectionCount()).toBe(1);

      await gateway.close();

      expect(gateway.connectionCount()).toBe(0);
      await eventually(() => !supabase.realtime.isConnected());
      const refused = new WebSocket(
        `${gateway.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${ANON_KEY}&vsn=2.0.0`,
      );
      await new Promise<void>((resolve) => refused.once('error', () => resolve()));
    } finally {
      await closeClient(supabase);
    }
  });

  it('refuses connections outside the websocket path or with an unknown protocol version', async () => {
    const gateway = await startGateway(database);
    const base = gateway.url.replace('http', 'ws');
    const statusOf = (path: string) =>
      new Promise<number | undefined>((resolve) => {
        const socket = new WebSocket(`${base}${path}`);
        socket.once('unexpected-response', (_request, response) => {
          resolve(response.statusCode);
          socket.terminate();
        });
        socket.once('open', () => {
          resolve(101);
          socket.close();
        });
        socket.once('error', () => resolve(undefined));
      });
    try {
      expect(await statusOf(`/realtime/v1/websocket?apikey=${ANON_KEY}&vsn=2.0.0`)).toBe(101);
      expect(await statusOf(`/realtime/v1/websocket?apikey=${ANON_KEY}&vsn=3.0.0`)).toBe(400);
      expect(await statusOf(`/socket?apikey=${ANON_KEY}`)).toBe(404);
    } finally {
      await gateway.close();
    }
  });

  it('answers a client broadcast push with an error: the database is the only publisher', async () => {
    const gateway = await startGateway(database);
    const supabase = await realtimeClient(gateway, await tokenFor(alice));
    try {
      const subscription = subscribe(supabase, `user:${alice}`, { ack: true });
      expect(await subscription.joined).toEqual({ status: 'SUBSCRIBED' });
      const result = await subscription.channel.send({
        type: 'broadcast',
        event: 'signal',
        payload: { forged: true },
      });
      expect(result).toBe('error');
      expect(subscription.received).toEqual([]);
    } finally {
      await closeClient(supabase);
      await gateway.close();
    }
  });
});
