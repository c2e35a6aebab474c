import ccxt from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeServer } from '../../../platform/exchange-server/server.ts';
import { AccountRequestGuard } from '../../../shared/exchange/ccxt/request-guard.ts';
import { CircuitBreaker } from '../../../shared/exchange/circuit-breaker.ts';
import { CircuitOpen } from '../../../shared/exchange/errors.ts';
import { placeOrder } from '../../../shared/exchange/placement.ts';
import { liveAccount } from '../../support/builders.ts';
import { createUser, describeOnEachBackend } from '../../support/databases.ts';
import { accountOn, flatExchange, intent, orderRow } from './support.ts';

let server: ExchangeServer;
beforeAll(async () => {
  server = await flatExchange();
});
afterAll(async () => {
  await server.close();
});

const T0 = Date.UTC(2026, 0, 1, 12);
const SETTINGS = { failureThreshold: 3, coolDownMs: 30_000, probeTimeoutMs: 10_000 };

describeOnEachBackend('the circuit breaker of an exchange account', (database) => {
  async function breaker() {
    const { db } = database();
    const accountId = await liveAccount(db, await createUser(db));
    const clock = { now: T0 };
    return { clock, breaker: new CircuitBreaker(db, accountId, SETTINGS, () => clock.now) };
  }

  it('stays closed below the threshold, and a success clears the count', async () => {
    const { breaker: b } = await breaker();
    expect(await b.permit()).toBe('allow');
    expect(await b.recordFailure('503')).toBe('closed');
    expect(await b.recordFailure('503')).toBe('closed');
    expect(await b.permit()).toBe('allow_after_failures');
    expect(await b.recordSuccess()).toBe('closed');
    expect(await b.state()).toEqual({ state: 'closed', consecutiveFailures: 0 });
    expect(await b.permit()).toBe('allow');
  });

  it('opens after N consecutive failures and refuses for the whole cool-down', async () => {
    const { breaker: b, clock } = await breaker();
    for (let i = 0; i < 3; i++) await b.recordFailure('timeout');
    expect(await b.state()).toEqual({ state: 'open', consecutiveFailures: 3 });
    expect(await b.permit()).toBe('refuse');
    clock.now = T0 + 29_999;
    expect(await b.permit()).toBe('refuse');
  });

  it('lets exactly one probe through after the cool-down, refusing everyone else while it runs', async () => {
    const { breaker: b, clock } = await breaker();
    for (let i = 0; i < 3; i++) await b.recordFailure('timeout');
    clock.now = T0 + 30_000;
    const permits = await Promise.all(Array.from({ length: 6 }, () => b.permit()));
    expect(permits.filter((p) => p === 'probe')).toHaveLength(1);
    expect(permits.filter((p) => p === 'refuse')).toHaveLength(5);
    expect((await b.state()).state).toBe('half_open');
  });

  it('closes when the probe succeeds', async () => {
    const { breaker: b, clock } = await breaker();
    for (let i = 0; i < 3; i++) await b.recordFailure('timeout');
    clock.now = T0 + 30_000;
    expect(await b.permit()).toBe('probe');
    expect(await b.recordSuccess()).toBe('closed');
    expect(await b.permit()).toBe('allow');
  });

  it('re-opens for a fresh cool-down when the probe fails', async () => {
    const { breaker: b, clock } = await breaker();
    for (let i = 0; i < 3; i++) await b.recordFailure('timeout');
    clock.now = T0 + 30_000;
    expect(await b.permit()).toBe('probe');
    expect(await b.recordFailure('still down')).toBe('open');
    clock.now = T0 + 59_999;
    expect(await b.permit()).toBe('refuse');
    clock.now = T0 + 60_000;
    expect(await b.permit()).toBe('probe');
  });

  it('replaces a probe that never reported (a crashed invocation) after the probe timeout', async () => {
    const { breaker: b, clock } = await breaker();
    for (let i = 0; i < 3; i++) await b.recordFailure('timeout');
    clock.now = T0 + 30_000;
    expect(await b.permit()).toBe('probe');
    clock.now = T0 + 39_999;
    expect(await b.permit()).toBe('refuse');
    clock.now = T0 + 40_000;
    expect(await b.permit()).toBe('probe');
  });

  it('keeps the opening time when late failures arrive while open, so stragglers cannot hold it open', async () => {
    const { breaker: b, clock } = await breaker();
    for (let i = 0; i < 3; i++) await b.recordFailure('timeout');
    clock.now = T0 + 20_000;
    await b.recordFailure('a straggler from before the opening');
    clock.now = T0 + 30_000;
    expect(await b.permit()).toBe('probe');
  });

  describe('in front of the adapter', () => {
    it('stops calling the exchange once open, fails placement as "not sent", and closes after a good probe', async () => {
      const { db } = database();
      const clock = { now: T0 };
      let guard: AccountRequestGuard | undefined;
      const account = await accountOn(db, server, {
        guard: {
          run: (operation, cost, call) => guard!.run(operation, cost, call),
        },
      });
      guard = new AccountRequestGuard({
        db,
        accountId: account.accountId,
        breaker: SETTINGS,
        clock: () => clock.now,
      });
      await account.exchange.market('BTC/USDT'); // markets loaded while the venue is healthy

      const failing = server.injectFault({
        method: 'GET',
        path: '/api/v3/ticker/24hr', // public: no API key to match on
        fault: { kind: 'server-error', status: 503 },
      });
      await expect(account.exchange.ticker('BTC/USDT')).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
      await expect(account.exchange.ticker('BTC/USDT')).rejects.toBeInstanceOf(CircuitOpen);
      expect(await guard.breaker.state()).toEqual({ state: 'open', consecutiveFailures: 3 });

      // While open, an order is refused before it leaves: failed, with the reason, and no order anywhere.
      const result = await placeOrder(db, account.exchange, intent(account), { sleep: async () => {} });
      expect(result).toMatchObject({ outcome: 'failed', status: 'failed', sends: 1 });
      expect((await orderRow(db, result.clientOrderId)).status_reason).toMatch(/not sent: CircuitOpen/);
      expect(server.orders(account.apiKey)).toHaveLength(0);

      server.faults.remove(failing);
      clock.now = T0 + 30_000;
      expect(await account.exchange.ticker('BTC/USDT')).toMatchObject({ last: '30000' });
      expect(await guard.breaker.state()).toEqual({ state: 'closed', consecutiveFailures: 0 });
    });

    it('does not count a rejection as a venue failure', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      const guard = new AccountRequestGuard({
        db,
        accountId: account.accountId,
        breaker: { failureThreshold: 1 },
      });
      for (let i = 0; i < 3; i++) {
        await expect(
          guard.run('createOrder', 1, async () => Promise.reject(new ccxt.InsufficientFunds('no'))),
        ).rejects.toBeInstanceOf(ccxt.InsufficientFunds);
      }
      expect((await guard.breaker.state()).state).toBe('closed');
    });
  });
});
