import ccxt from 'ccxt';
import { afterAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../../platform/exchange-server/faults.ts';
import { adapterOf, closeExchanges, exchangeWith, flat, rejection } from './support.ts';

afterAll(closeExchanges);

const ORDER = { method: 'POST', path: '/api/v3/order' } as const;

// What the real exchange does for each fault, what ccxt raises for it, and how many orders
// exist afterwards: the adapter sends a create exactly once, whatever happens.
const CASES: [string, Fault, new (...args: never[]) => Error, number][] = [
  ['HTTP 429 rate limit', { kind: 'rate-limit' }, ccxt.DDoSProtection, 0],
  ['HTTP 418 IP ban', { kind: 'ban' }, ccxt.DDoSProtection, 0],
  ['HTTP 503 gateway page', { kind: 'server-error', status: 503 }, ccxt.ExchangeNotAvailable, 0],
  ['HTTP 504 gateway timeout', { kind: 'server-error', status: 504 }, ccxt.RequestTimeout, 0],
  [
    '-1021 timestamp outside the receive window',
    {
      kind: 'binance-error',
      status: 400,
      code: -1021,
      msg: 'Timestamp for this request is outside of the recvWindow.',
    },
    ccxt.InvalidNonce,
    0,
  ],
  [
    '-2015 invalid key or permissions',
    {
      kind: 'binance-error',
      status: 401,
      code: -2015,
      msg: 'Invalid API-key, IP, or permissions for action.',
    },
    ccxt.AuthenticationError,
    0,
  ],
  ['insufficient balance', { kind: 'insufficient-balance' }, ccxt.InsufficientFunds, 0],
  ['a connection dropped before processing', { kind: 'drop-connection' }, ccxt.NetworkError, 0],
  [
    'an accepted order whose answer times out',
    { kind: 'accept-then-timeout', holdMs: 2_000 },
    ccxt.RequestTimeout,
    1,
  ],
  ['an accepted order whose connection drops', { kind: 'accept-then-drop' }, ccxt.NetworkError, 1],
];

describe('every injected fault reaches the adapter as the ccxt class the real exchange produces', () => {
  it.each(CASES)(
    '%s: the right ccxt class, and the create is sent once',
    async (_name, fault, errorClass, ordersAfter) => {
      const server = await exchangeWith([flat(0, 30_000)]);
      const { exchange, apiKey } = adapterOf(server, { timeoutMs: 500 });
      await exchange.market('BTC/USDT');
      server.injectFault({ ...ORDER, times: 1, fault });
      const error = await rejection(
        exchange.createOrder({
          clientOrderId: 'tf-1-e-1',
          symbol: 'BTC/USDT',
          side: 'buy',
          type: 'limit',
          amount: '0.01',
          price: '29000',
        }),
      );
      expect(error).toBeInstanceOf(errorClass);
      expect(server.orders(apiKey)).toHaveLength(ordersAfter);
      // The fault rule was consumed by that single create: nothing retried it.
      expect(server.faults.list()).toEqual([]);
    },
  );

  it('raises RequestTimeout when latency outlasts the client timeout, without a second send', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const { exchange, apiKey } = adapterOf(server, { timeoutMs: 300 });
    await exchange.market('BTC/USDT');
    server.injectFault({ ...ORDER, times: 1, fault: { kind: 'latency', ms: 600 } });
    const error = await rejection(
      exchange.createOrder({
        clientOrderId: 'tf-2-e-1',
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        amount: '0.01',
        price: '29000',
      }),
    );
    expect(error).toBeInstanceOf(ccxt.RequestTimeout);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The local server drops a request whose client has gone; a real venue might still run it,
    // which is why placement treats a timeout as an unknown outcome.
    expect(server.orders(apiKey).length).toBeLessThanOrEqual(1);
    expect(server.faults.list()).toEqual([]);
  });

  it('retries reads with backoff: a ticker behind two 503s still arrives', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const { exchange } = adapterOf(server);
    server.injectFault({
      method: 'GET',
      path: '/api/v3/ticker/24hr',
      times: 2,
      fault: { kind: 'server-error', status: 503 },
    });
    expect(await exchange.ticker('BTC/USDT')).toMatchObject({ last: '30000' });
    expect(server.faults.list()).toEqual([]);
  });

  it('gives up on a read after its attempts, with the retryable error', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const { exchange } = adapterOf(server);
    server.injectFault({
      method: 'GET',
      path: '/api/v3/ticker/24hr',
      times: 5,
      fault: { kind: 'rate-limit' },
    });
    await expect(exchange.ticker('BTC/USDT')).rejects.toBeInstanceOf(ccxt.DDoSProtection);
    expect(server.faults.list()[0]?.applied).toBe(3);
  });

  it('does not retry a read the exchange refused for good', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const { exchange } = adapterOf(server);
    server.injectFault({
      method: 'GET',
      path: '/api/v3/account',
      times: 3,
      fault: {
        kind: 'binance-error',
        status: 401,
        code: -2015,
        msg: 'Invalid API-key, IP, or permissions for action.',
      },
    });
    await expect(exchange.balance()).rejects.toBeInstanceOf(ccxt.AuthenticationError);
    expect(server.faults.list()[0]?.applied).toBe(1);
  });
});
