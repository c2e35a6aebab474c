import ccxt from 'ccxt';
import { afterAll, describe, expect, it } from 'vitest';
import { bar, clientOf, closeExchanges, control, exchangeWith, flat, freshKey } from './support.ts';

afterAll(closeExchanges);

describe('the /__control API', () => {
  it('lists every order the server accepted, per account', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const aliceKey = freshKey();
    const bobKey = freshKey();
    const alice = clientOf(server, {}, { apiKey: aliceKey, secret: 's' });
    const bob = clientOf(server, {}, { apiKey: bobKey, secret: 's' });
    await alice.createOrder('BTC/USDT', 'market', 'buy', 0.01);
    await alice.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 29_000);
    await bob.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 28_000);

    const all = await control(server, 'GET', 'orders');
    expect(Object.keys(all.accounts).sort()).toEqual([aliceKey, bobKey].sort());
    expect(all.accounts[aliceKey].map((o: { type: string; status: string }) => [o.type, o.status])).toEqual([
      ['MARKET', 'FILLED'],
      ['LIMIT', 'NEW'],
    ]);
    expect(all.accounts[aliceKey][0].fills).toHaveLength(1);
    const bobs = await control(server, 'GET', `orders?apiKey=${bobKey}`);
    expect(Object.keys(bobs.accounts)).toEqual([bobKey]);
  });

  it('takes fault rules over HTTP: the next 2 POST /api/v3/order answer 503, then rules can be cleared', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = clientOf(server);
    await exchange.loadMarkets();
    const added = await control(server, 'POST', 'faults', {
      method: 'POST',
      path: '/api/v3/order',
      times: 2,
      fault: { kind: 'server-error', status: 503 },
    });
    expect(added.ids).toHaveLength(1);
    await expect(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01)).rejects.toBeInstanceOf(
      ccxt.ExchangeNotAvailable,
    );
    expect((await control(server, 'GET', 'faults')).rules[0]).toMatchObject({ applied: 1, times: 2 });

    await control(server, 'POST', 'faults', [{ path: '/api/v3/*', fault: { kind: 'rate-limit' } }]);
    expect((await control(server, 'DELETE', 'faults')).cleared).toBe(2);
    await expect(exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01)).resolves.toMatchObject({
      status: 'closed',
    });
  });

  it('refuses a malformed fault rule with a clear message', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const answer = await control(server, 'POST', 'faults', {
      path: '/api/v3/order',
      fault: { kind: 'meteor' },
    });
    expect(answer.error.message).toMatch(/fault.kind/);
  });

  it('steps the replay over HTTP', async () => {
    const server = await exchangeWith([
      flat(0, 30_000),
      bar(1, 30_000, 30_500, 29_900, 30_400),
      flat(2, 30_200),
    ]);
    const stepped = await control(server, 'POST', 'step', { count: 2 });
    expect(stepped.markets).toEqual([
      { symbol: 'BTCUSDT', openTime: expect.any(Number), close: '30200', advanced: true },
    ]);
    expect((await clientOf(server).fetchTicker('BTC/USDT')).last).toBe(30_200);
    const atEnd = await control(server, 'POST', 'step', {});
    expect(atEnd.markets[0].advanced).toBe(false);
  });

  it('registers an account with its secret and balances over HTTP', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    await control(server, 'POST', 'accounts', {
      apiKey: 'carol',
      secret: 'carol-secret',
      balances: { USDT: '50', BTC: '2' },
    });
    const carol = clientOf(server, {}, { apiKey: 'carol', secret: 'carol-secret' });
    expect((await carol.fetchBalance())['BTC']).toMatchObject({ free: 2 });
    const balances = await control(server, 'GET', 'balances?apiKey=carol');
    expect(balances.balances).toContainEqual({ asset: 'USDT', free: '50.00000000', locked: '0.00000000' });
    await expect(
      clientOf(server, {}, { apiKey: 'carol', secret: 'guess' }).fetchBalance(),
    ).rejects.toBeInstanceOf(ccxt.AuthenticationError);
  });

  it('answers Binance endpoints it does not implement with 404 in Binance form', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const response = await fetch(`${server.url}/sapi/v1/capital/config/getall`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: -1020, msg: 'This operation is not supported.' });
  });
});
