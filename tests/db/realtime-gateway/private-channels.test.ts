import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeGateway } from '../../../platform/realtime/gateway.ts';
import { advanceSignal, paperAccount, signal, trader } from '../../support/builders.ts';
import { BACKENDS, createUser } from '../../support/databases.ts';
import {
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

describe.each(BACKENDS)('realtime gateway: private channels (%s)', (backend) => {
  let database: GatewayDatabase;
  let gateway: RealtimeGateway;
  let alice: string;
  let bob: string;
  let aliceTrader: number;
  const clients: SupabaseClient[] = [];

  const client = async (token: string, options?: Parameters<typeof realtimeClient>[2]) => {
    const supabase = await realtimeClient(gateway, token, options);
    clients.push(supabase);
    return supabase;
  };

  beforeAll(async () => {
    database = await gatewayDatabase(backend);
    gateway = await startGateway(database);
    alice = await createUser(database.db);
    bob = await createUser(database.db);
    aliceTrader = await trader(database.db, alice, await paperAccount(database.db, alice));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map(closeClient));
  });

  afterAll(async () => {
    await gateway?.close();
    await database?.close();
  });

  it('delivers every state change of the subscriber’s own signal, in order, with the record', async () => {
    const subscription = subscribe(await client(await tokenFor(alice)), `user:${alice}`, { event: 'signal' });
    expect(await subscription.joined).toEqual({ status: 'SUBSCRIBED' });

    const signalId = await signal(database.db, alice, aliceTrader, { symbol: 'ETH/USDT' });
    await advanceSignal(database.db, signalId, 'analyzing', 'monitoring');

    const received = await subscription.until((messages) => messages.length >= 3);
    expect(received.map((m) => [m.event, m.payload.table, m.payload.op, m.payload.record.status])).toEqual([
      ['signal', 'signals', 'insert', 'new'],
      ['signal', 'signals', 'update', 'analyzing'],
      ['signal', 'signals', 'update', 'monitoring'],
    ]);
    expect(received[2]!.payload.record).toMatchObject({
      id: signalId,
      owner: alice,
      symbol: 'ETH/USDT',
      side: 'long',
    });
  });

  it('refuses another user’s client that channel, and that client receives nothing', async () => {
    const owner = subscribe(await client(await tokenFor(alice)), `user:${alice}`);
    const intruder = subscribe(await client(await tokenFor(bob)), `user:${alice}`);
    expect(await owner.joined).toEqual({ status: 'SUBSCRIBED' });
    expect(await intruder.joined).toEqual({
      status: 'CHANNEL_ERROR',
      reason: `Unauthorized: You do not have permissions to read from this Channel topic: user:${alice}`,
    });

    const signalId = await signal(database.db, alice, aliceTrader);
    await owner.until((messages) => messages.some((m) => m.payload.record.id === signalId));
    expect(intruder.received).toEqual([]);
  });

  it('refuses an expired token with the reason', async () => {
    const expired = await tokenFor(alice, { now: new Date(Date.now() - 7_200_000), expiresInSeconds: 3600 });
    const subscription = subscribe(await client(expired), `user:${alice}`);
    const joined = await subscription.joined;
    expect(joined.status).toBe('CHANNEL_ERROR');
    expect(joined.reason).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
  });

  it('refuses a token signed with another secret', async () => {
    const { signAccessToken } = await import('../../../platform/realtime/access-token.ts');
    const forged = await signAccessToken('some-other-secret-that-is-also-32-bytes-long', alice);
    const joined = await subscribe(await client(forged), `user:${alice}`).joined;
    expect(joined.status).toBe('CHANNEL_ERROR');
    expect(joined.reason).toMatch(/^InvalidJWTToken: signature verification failed/);
  });

  it('refuses a public join of a user topic', async () => {
    const joined = await subscribe(await client(await tokenFor(alice)), `user:${alice}`, { private: false })
      .joined;
    expect(joined).toEqual({
      status: 'CHANNEL_ERROR',
      reason: `PrivateOnly: topic user:${alice} is private; join it with config.private = true`,
    });
  });

  it('speaks the 1.0.0 serializer too', async () => {
    const subscription = subscribe(await client(await tokenFor(alice), { vsn: '1.0.0' }), `user:${alice}`);
    expect(await subscription.joined).toEqual({ status: 'SUBSCRIBED' });
    const signalId = await signal(database.db, alice, aliceTrader);
    const [first] = await subscription.until((messages) => messages.length >= 1);
    expect(first?.payload.record).toMatchObject({ id: signalId, status: 'new' });
  });

  it('closes the channel when a refreshed token belongs to someone else', async () => {
    const supabase = await client(await tokenFor(alice));
    const subscription = subscribe(supabase, `user:${alice}`);
    expect(await subscription.joined).toEqual({ status: 'SUBSCRIBED' });

    await supabase.realtime.setAuth(await tokenFor(bob));
    await eventually(() => subscription.statuses.includes('CLOSED'));

    await signal(database.db, alice, aliceTrader);
    await sleep(200);
    expect(subscription.received).toEqual([]);
  });
});
