import ccxt from 'ccxt';
import { afterAll, describe, expect, it } from 'vitest';
import { clientOf, closeExchanges, exchangeWith, flat, freshKey } from './support.ts';

afterAll(closeExchanges);

const ORDER = { method: 'POST', path: '/api/v3/order' } as const;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('injected faults reach ccxt as the error class the real exchange produces', () => {
  it('answers HTTP 429 with -1003, which ccxt binance raises as DDoSProtection (it maps every 429 so)', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = clientOf(server);
    await exchange.loadMarkets();
    server.injectFault({ ...ORDER, times: 1, fault: { kind: 'rate-limit' } });
    const error = await rejection(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01));
    expect(error).toBeInstanceOf(ccxt.DDoSProtection);
    expect(String(error)).toContain('-1003');
    expect(server.orders()).toHaveLength(0);
  });

  it('answers HTTP 418 (IP ban) as DDoSProtection', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = clientOf(server);
    server.injectFault({ method: 'GET', path: '/api/v3/ticker/24hr', times: 1, fault: { kind: 'ban' } });
    await expect(exchange.fetchTicker('BTC/USDT')).rejects.toBeInstanceOf(ccxt.DDoSProtection);
  });

  it('answers a 503 gateway page as ExchangeNotAvailable, without placing the order', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = clientOf(server);
    await exchange.loadMarkets();
    server.injectFault({ ...ORDER, times: 1, fault: { kind: 'server-error', status: 503 } });
    await expect(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01)).rejects.toBeInstanceOf(
      ccxt.ExchangeNotAvailable,
    );
    expect(server.orders()).toHaveLength(0);
  });

  it('answers a 504 gateway timeout as RequestTimeout', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = clientOf(server);
    server.injectFault({
      method: 'GET',
      path: '/api/v3/account',
      times: 1,
      fault: { kind: 'server-error', status: 504 },
    });
    await expect(exchange.fetchBalance()).rejects.toBeInstanceOf(ccxt.RequestTimeout);
  });

  it('forces an insufficient balance, which ccxt raises as InsufficientFunds', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = clientOf(server);
    await exchange.loadMarkets();
    server.injectFault({ ...ORDER, times: 1, fault: { kind: 'insufficient-balance' } });
    await expect(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01)).rejects.toBeInstanceOf(
      ccxt.InsufficientFunds,
    );
    await expect(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01)).resolves.toMatchObject({
      status: 'closed',
    });
  });

  it('adds latency to the answers a rule matches', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = clientOf(server);
    server.injectFault({
      method: 'GET',
      path: '/api/v3/time',
      times: 1,
      fault: { kind: 'latency', ms: 250 },
    });
    const started = performance.now();
    await exchange.fetchTime();
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('drops the connection before processing: ccxt raises NetworkError and no order exists', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = clientOf(server);
    await exchange.loadMarkets();
    server.injectFault({ ...ORDER, times: 1, fault: { kind: 'drop-connection' } });
    const error = await rejection(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01));
    expect(error).toBeInstanceOf(ccxt.NetworkError);
    expect(error).not.toBeInstanceOf(ccxt.RequestTimeout);
    expect(server.orders()).toHaveLength(0);
  });

  it('accepts the order and then times out: ccxt raises RequestTimeout, yet the order exists and is found by client id', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const apiKey = freshKey();
    const exchange = clientOf(server, { timeout: 300 }, { apiKey, secret: 's' });
    await exchange.loadMarkets();
    server.injectFault({ ...ORDER, times: 1, fault: { kind: 'accept-then-timeout', holdMs: 5_000 } });
    const error = await rejection(
      exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 29_000, { clientOrderId: 'tf-intent7-entry-1' }),
    );
    expect(error).toBeInstanceOf(ccxt.RequestTimeout);

    const onServer = server.ordersJson(apiKey)[apiKey]!;
    expect(onServer).toHaveLength(1);
    expect(onServer[0]).toMatchObject({ clientOrderId: 'tf-intent7-entry-1', status: 'NEW' });
    const found = await exchange.fetchOrder('', 'BTC/USDT', { clientOrderId: 'tf-intent7-entry-1' });
    expect(found).toMatchObject({ status: 'open', clientOrderId: 'tf-intent7-entry-1' });
  });

  it('accepts the order and then drops the connection: NetworkError, and the order exists', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = clientOf(server);
    await exchange.loadMarkets();
    server.injectFault({ ...ORDER, times: 1, fault: { kind: 'accept-then-drop' } });
    await expect(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01)).rejects.toBeInstanceOf(
      ccxt.NetworkError,
    );
    expect(server.orders().map((o) => o.status)).toEqual(['FILLED']);
  });

  it('answers a rule for its count only: the next 2 order posts get 503, the third goes through', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = clientOf(server);
    await exchange.loadMarkets();
    server.injectFault({ ...ORDER, times: 2, fault: { kind: 'server-error', status: 503 } });
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01)).rejects.toBeInstanceOf(
        ccxt.ExchangeNotAvailable,
      );
    }
    await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01);
    expect(server.orders()).toHaveLength(1);
    expect(server.faults.list()).toEqual([]);
  });

  it('lets the first requests through with skip, and limits a rule to one API key', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const victimKey = freshKey();
    const victim = clientOf(server, {}, { apiKey: victimKey, secret: 's' });
    const bystander = clientOf(server);
    await Promise.all([victim.loadMarkets(), bystander.loadMarkets()]);
    server.injectFault({ ...ORDER, apiKey: victimKey, skip: 1, fault: { kind: 'rate-limit' } });
    await victim.createOrder('BTC/USDT', 'market', 'buy', 0.01);
    await expect(victim.createOrder('BTC/USDT', 'market', 'buy', 0.01)).rejects.toBeInstanceOf(
      ccxt.DDoSProtection,
    );
    await bystander.createOrder('BTC/USDT', 'market', 'buy', 0.01);
    expect(server.orders()).toHaveLength(2);
  });
});
