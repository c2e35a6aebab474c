import ccxt from 'ccxt';
import { afterAll, describe, expect, it } from 'vitest';
import { clientOf, closeExchanges, exchangeWith, flat, freshKey } from './support.ts';

afterAll(closeExchanges);

describe('the venue refuses bad requests with the codes ccxt classifies as on Binance', () => {
  it('an order the account cannot pay for: InsufficientFunds', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    await expect(exchange.createOrder('BTC/USDT', 'market', 'buy', 1)).rejects.toBeInstanceOf(
      ccxt.InsufficientFunds,
    );
    await expect(exchange.createOrder('BTC/USDT', 'limit', 'sell', 0.01, 31_000)).rejects.toBeInstanceOf(
      ccxt.InsufficientFunds,
    );
  });

  it('an order id it never issued: OrderNotFound on fetch (-2013) and on cancel (-2011)', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    await expect(exchange.fetchOrder('424242', 'BTC/USDT')).rejects.toBeInstanceOf(ccxt.OrderNotFound);
    await expect(exchange.fetchOrder('', 'BTC/USDT', { clientOrderId: 'never-sent' })).rejects.toBeInstanceOf(
      ccxt.OrderNotFound,
    );
    await expect(exchange.cancelOrder('424242', 'BTC/USDT')).rejects.toBeInstanceOf(ccxt.OrderNotFound);
  });

  it('a market it does not list: BadSymbol', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    const order = { symbol: 'DOGEUSDT', side: 'BUY', type: 'MARKET', quantity: '1' };
    await expect(exchange.privatePostOrder(order)).rejects.toBeInstanceOf(ccxt.BadSymbol);
  });

  it('a quantity off the lot grid: InvalidOrder (Filter failure: LOT_SIZE)', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    const order = { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.000015' };
    await expect(exchange.privatePostOrder(order)).rejects.toThrow(/Filter failure: LOT_SIZE/);
    await expect(exchange.privatePostOrder(order)).rejects.toBeInstanceOf(ccxt.InvalidOrder);
  });

  it('a price off the tick grid: InvalidOrder (Filter failure: PRICE_FILTER)', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    const order = {
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.01',
      price: '29000.005',
    };
    await expect(exchange.privatePostOrder(order)).rejects.toBeInstanceOf(ccxt.InvalidOrder);
  });

  it('an order below the minimum notional: -1013 NOTIONAL, which ccxt raises as BadRequest, not InvalidOrder', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    const error = await exchange
      .createOrder('BTC/USDT', 'limit', 'buy', 0.0001, 29_000)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ccxt.BadRequest);
    expect(String(error)).toContain('Filter failure: NOTIONAL');
  });

  it('a second open order with the same client order id: "Duplicate order sent." (InvalidOrder)', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    const params = { clientOrderId: 'tf-intent9-entry-1' };
    await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 29_000, params);
    const error = await exchange
      .createOrder('BTC/USDT', 'limit', 'buy', 0.01, 29_000, params)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ccxt.InvalidOrder);
    expect(String(error)).toContain('Duplicate order sent.');
  });

  it('a stop that would trigger at once: OrderImmediatelyFillable', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    await expect(
      exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { stopLossPrice: 29_000 }),
    ).rejects.toBeInstanceOf(ccxt.OrderImmediatelyFillable);
  });

  it('a limit-maker that would take: OrderImmediatelyFillable', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    await expect(
      exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 30_001, { postOnly: true }),
    ).rejects.toBeInstanceOf(ccxt.OrderImmediatelyFillable);
  });
});

describe('API keys and signatures', () => {
  it('verifies signatures of a registered key: the wrong secret is AuthenticationError (-1022)', async () => {
    const server = await exchangeWith([flat(0, 30_000)], { apiKeys: { 'alice-key': 'alice-secret' } });
    const good = clientOf(server, {}, { apiKey: 'alice-key', secret: 'alice-secret' });
    const forged = clientOf(server, {}, { apiKey: 'alice-key', secret: 'not-alices-secret' });
    await expect(good.fetchBalance()).resolves.toHaveProperty('USDT');
    const error = await forged.fetchBalance().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ccxt.AuthenticationError);
    expect(String(error)).toContain('-1022');
  });

  it('refuses a malformed API key with -2014 (AuthenticationError)', async () => {
    const exchange = clientOf(
      await exchangeWith([flat(0, 30_000)]),
      {},
      { apiKey: 'not a key!', secret: 's' },
    );
    const error = await exchange.fetchBalance().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ccxt.AuthenticationError);
    expect(String(error)).toContain('-2014');
  });

  it('refuses a revoked key, and in strict mode an unknown key, with -2015 (AuthenticationError)', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const apiKey = freshKey();
    server.venue.keys.revoke(apiKey);
    await expect(clientOf(server, {}, { apiKey, secret: 's' }).fetchBalance()).rejects.toBeInstanceOf(
      ccxt.AuthenticationError,
    );
    const strict = await exchangeWith([flat(0, 30_000)], { strictApiKeys: true });
    await expect(clientOf(strict).fetchBalance()).rejects.toBeInstanceOf(ccxt.AuthenticationError);
  });

  it('creates and funds an account in every quote asset on the first request of a new key', async () => {
    const server = await exchangeWith([flat(0, 30_000)], { startingBalance: { USDT: '2500' } });
    const balance = await clientOf(server).fetchBalance();
    expect(balance['USDT']).toMatchObject({ free: 2_500, used: 0 });
  });
});
