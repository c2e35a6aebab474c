import ccxt from 'ccxt';
import { afterAll, describe, expect, it } from 'vitest';
import { bar, clientOf, closeExchanges, exchangeWith, flat } from './support.ts';

afterAll(closeExchanges);

describe('orders through the real ccxt client', () => {
  it('fills a market buy at the ask and charges the fee in the base asset', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    const order = await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01);
    expect(order).toMatchObject({
      status: 'closed',
      filled: 0.01,
      average: 30_000.01,
      side: 'buy',
      type: 'market',
    });
    expect(order.fee).toMatchObject({ currency: 'BTC', cost: 0.00001 });
  });

  it('fills a market buy given in quote (ccxt sends quoteOrderQty when a price is passed)', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    const order = await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01, 30_000);
    // 300 USDT / 30000.01 = 0.0099999… → truncated to the 0.00001 step
    expect(order.info['origQuoteOrderQty']).toBe('300.00000000');
    expect(order.filled).toBe(0.00999);
  });

  it('fills a market sell at the bid and charges the fee in the quote asset; fetchMyTrades shows both fees', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01);
    const sell = await exchange.createOrder('BTC/USDT', 'market', 'sell', 0.005);
    expect(sell.average).toBe(29_999.99);
    const trades = await exchange.fetchMyTrades('BTC/USDT');
    expect(trades.map((t) => [t.side, t.takerOrMaker, t.fee?.currency, t.fee?.cost])).toEqual([
      ['buy', 'taker', 'BTC', 0.00001],
      ['sell', 'taker', 'USDT', 0.14999995],
    ]);
  });

  it('reports balances net of fees, with resting orders holding what they may spend', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    expect((await exchange.fetchBalance())['USDT']).toMatchObject({ free: 10_000, used: 0 });
    await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01);
    await exchange.createOrder('BTC/USDT', 'limit', 'sell', 0.005, 31_000);
    await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 29_000);
    const balance = await exchange.fetchBalance();
    expect(balance['BTC']).toMatchObject({ free: 0.00499, used: 0.005, total: 0.00999 });
    expect(balance['USDT']).toMatchObject({ free: 9_409.9999, used: 290, total: 9_699.9999 });
  });

  it('rests a limit order below the market and fills it as maker when the replay crosses its price', async () => {
    const server = await exchangeWith([
      flat(0, 30_000),
      bar(1, 30_000, 30_100, 29_900, 29_950),
      bar(2, 29_950, 29_960, 29_480, 29_500),
    ]);
    const exchange = clientOf(server);
    const placed = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 29_500);
    expect(placed.status).toBe('open');
    server.step();
    expect((await exchange.fetchOrder(placed.id!, 'BTC/USDT')).status).toBe('open');
    server.step();
    const filled = await exchange.fetchOrder(placed.id!, 'BTC/USDT');
    expect(filled).toMatchObject({ status: 'closed', filled: 0.01, average: 29_500 });
    const [trade] = await exchange.fetchMyTrades('BTC/USDT');
    expect(trade).toMatchObject({ order: placed.id!, takerOrMaker: 'maker', price: 29_500 });
  });

  it('places stop-loss and take-profit orders with the Binance types ccxt chooses, and fills each on its trigger', async () => {
    const server = await exchangeWith([
      flat(0, 30_000),
      bar(1, 30_000, 31_200, 29_950, 31_100),
      bar(2, 31_100, 31_150, 28_900, 28_950),
    ]);
    const exchange = clientOf(server);
    await exchange.createOrder('BTC/USDT', 'market', 'buy', 0.01);
    const stopLoss = await exchange.createOrder('BTC/USDT', 'market', 'sell', 0.004, undefined, {
      stopLossPrice: 29_000,
    });
    const takeProfit = await exchange.createOrder('BTC/USDT', 'limit', 'sell', 0.005, 31_000, {
      takeProfitPrice: 31_000,
    });
    expect(stopLoss.info['type']).toBe('STOP_LOSS');
    expect(takeProfit.info['type']).toBe('TAKE_PROFIT_LIMIT');
    expect((await exchange.fetchOpenOrders('BTC/USDT')).map((o) => o.triggerPrice)).toEqual([29_000, 31_000]);

    server.step(); // high 31 200: the take-profit fires, the stop-loss waits
    expect(await exchange.fetchOrder(takeProfit.id!, 'BTC/USDT')).toMatchObject({
      status: 'closed',
      average: 31_000,
    });
    expect((await exchange.fetchOrder(stopLoss.id!, 'BTC/USDT')).status).toBe('open');

    server.step(); // low 28 900: the stop-loss fires at its stop
    expect(await exchange.fetchOrder(stopLoss.id!, 'BTC/USDT')).toMatchObject({
      status: 'closed',
      average: 29_000,
    });
    expect(await exchange.fetchOpenOrders('BTC/USDT')).toEqual([]);
  });

  it('sends a stopPrice order as STOP_LOSS_LIMIT for a limit, which triggers on a rise for a buy', async () => {
    const server = await exchangeWith([flat(0, 30_000), bar(1, 30_000, 30_600, 29_990, 30_550)]);
    const exchange = clientOf(server);
    const stop = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 30_600, { stopPrice: 30_500 });
    expect(stop.info['type']).toBe('STOP_LOSS_LIMIT');
    server.step();
    expect(await exchange.fetchOrder(stop.id!, 'BTC/USDT')).toMatchObject({
      status: 'closed',
      average: 30_500,
    });
  });

  it('finds an order by exchange id and by client order id', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    const placed = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 29_000, {
      clientOrderId: 'tf-intent42-entry-1',
    });
    expect(placed.clientOrderId).toBe('tf-intent42-entry-1');
    const byId = await exchange.fetchOrder(placed.id!, 'BTC/USDT');
    const byClientId = await exchange.fetchOrder('', 'BTC/USDT', { clientOrderId: 'tf-intent42-entry-1' });
    const byOrigClientId = await exchange.fetchOrder('', 'BTC/USDT', {
      origClientOrderId: 'tf-intent42-entry-1',
    });
    expect([byId.id, byClientId.id, byOrigClientId.id]).toEqual([placed.id!, placed.id!, placed.id]);
    expect(byClientId.clientOrderId).toBe('tf-intent42-entry-1');
  });

  it('cancels an open order, freeing its hold, and then no longer lists or cancels it', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    const placed = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 29_000);
    expect((await exchange.fetchOpenOrders('BTC/USDT')).map((o) => o.id)).toEqual([placed.id]);
    const canceled = await exchange.cancelOrder(placed.id!, 'BTC/USDT');
    expect(canceled.status).toBe('canceled');
    expect(canceled.info['origClientOrderId']).toBe(placed.clientOrderId);
    expect(await exchange.fetchOpenOrders('BTC/USDT')).toEqual([]);
    expect((await exchange.fetchBalance())['USDT']).toMatchObject({ free: 10_000, used: 0 });
    await expect(exchange.cancelOrder(placed.id!, 'BTC/USDT')).rejects.toBeInstanceOf(ccxt.OrderNotFound);
  });

  it('cancels all open orders of a market at once', async () => {
    const exchange = clientOf(await exchangeWith([flat(0, 30_000)]));
    await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 29_000);
    await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 28_000);
    const canceled = await exchange.cancelAllOrders('BTC/USDT');
    expect(canceled.map((o) => o.status)).toEqual(['canceled', 'canceled']);
    expect((await exchange.fetchOrders('BTC/USDT')).map((o) => o.status)).toEqual(['canceled', 'canceled']);
  });

  it('fills part of an order now and the rest on a later candle', async () => {
    const server = await exchangeWith([flat(0, 30_000), bar(1, 30_000, 30_050, 29_950, 30_000)]);
    const exchange = clientOf(server);
    server.injectFault({
      method: 'POST',
      path: '/api/v3/order',
      times: 1,
      fault: { kind: 'partial-fill', fraction: 0.5 },
    });
    const placed = await exchange.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 30_100);
    expect(placed).toMatchObject({ status: 'open', filled: 0.005, remaining: 0.005 });
    expect(placed.info['status']).toBe('PARTIALLY_FILLED');
    server.step();
    expect(await exchange.fetchOrder(placed.id!, 'BTC/USDT')).toMatchObject({
      status: 'closed',
      filled: 0.01,
    });
    const trades = await exchange.fetchMyTrades('BTC/USDT');
    expect(trades.map((t) => [t.amount, t.price, t.takerOrMaker])).toEqual([
      [0.005, 30_000.01, 'taker'],
      [0.005, 30_100, 'maker'],
    ]);
  });
});
