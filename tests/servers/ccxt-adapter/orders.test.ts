import { afterAll, describe, expect, it } from 'vitest';
import { localBinanceUrls } from '../../../platform/exchange-server/ccxt-client.ts';
import { openCcxtExchange } from '../../../shared/exchange/ccxt/open-exchange.ts';
import { MarketLimitViolation } from '../../../shared/exchange/errors.ts';
import { adapterOf, bar, closeExchanges, exchangeWith, flat, rejection } from './support.ts';

afterAll(closeExchanges);

describe('the CCXT adapter against the local Binance-compatible exchange', () => {
  it('describes a market with its step, tick, limits, native order types and fee (Binance: 0.1 %, a buy’s in base)', async () => {
    const { exchange } = adapterOf(await exchangeWith([flat(0, 30_000)]));
    expect(await exchange.market('BTC/USDT')).toEqual({
      symbol: 'BTC/USDT',
      base: 'BTC',
      quote: 'USDT',
      amountStep: '0.00001',
      priceTick: '0.01',
      minAmount: '0.00001',
      minNotional: '5',
      nativeStopLoss: true,
      nativeTakeProfit: true,
      reduceOnly: false,
      fees: { maker: '0.001', taker: '0.001', buyFeeAsset: 'base' },
    });
    expect((await exchange.markets()).map((m) => m.symbol)).toContain('BTC/USDT');
    expect(await exchange.ticker('BTC/USDT')).toMatchObject({
      last: '30000',
      bid: '29999.99',
      ask: '30000.01',
    });
  });

  it('fills a market buy at the ask, with the fee in the base asset, as decimal strings', async () => {
    const { exchange } = adapterOf(await exchangeWith([flat(0, 30_000)]));
    const order = await exchange.createOrder({
      clientOrderId: 'tf-1-e-1',
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      amount: '0.01',
    });
    expect(order).toMatchObject({
      clientOrderId: 'tf-1-e-1',
      type: 'market',
      status: 'filled',
      amount: '0.01',
      filled: '0.01',
      averagePrice: '30000.01',
      fee: { cost: '0.00001', currency: 'BTC' },
    });
  });

  it('fills a market sell at the bid with the fee in the quote asset, and lists both fills', async () => {
    const { exchange } = adapterOf(await exchangeWith([flat(0, 30_000)]));
    await exchange.createOrder({
      clientOrderId: 'tf-2-e-1',
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      amount: '0.01',
    });
    const sell = await exchange.createOrder({
      clientOrderId: 'tf-2-x-1',
      symbol: 'BTC/USDT',
      side: 'sell',
      type: 'market',
      amount: '0.005',
    });
    expect(sell).toMatchObject({
      status: 'filled',
      averagePrice: '29999.99',
      fee: { cost: '0.14999995', currency: 'USDT' },
    });
    const fills = await exchange.myTrades('BTC/USDT');
    expect(fills.map((f) => [f.side, f.amount, f.price, f.fee, f.liquidity])).toEqual([
      ['buy', '0.01', '30000.01', { cost: '0.00001', currency: 'BTC' }, 'taker'],
      ['sell', '0.005', '29999.99', { cost: '0.14999995', currency: 'USDT' }, 'taker'],
    ]);
    const balance = await exchange.balance();
    expect(balance.find((line) => line.asset === 'BTC')).toMatchObject({ used: '0' });
  });

  it('rests a limit order, finds it by client id and by exchange id, and records its fill as maker', async () => {
    const server = await exchangeWith([flat(0, 30_000), bar(1, 30_000, 30_010, 29_480, 29_500)]);
    const { exchange } = adapterOf(server);
    const placed = await exchange.createOrder({
      clientOrderId: 'tf-3-e-1',
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      amount: '0.01',
      price: '29500.004',
    });
    expect(placed).toMatchObject({ status: 'open', price: '29500', filled: '0' });
    expect(await exchange.fetchOrder('BTC/USDT', { clientOrderId: 'tf-3-e-1' })).toMatchObject({
      exchangeOrderId: placed.exchangeOrderId,
      type: 'limit',
      status: 'open',
    });
    expect((await exchange.openOrders('BTC/USDT')).map((o) => o.clientOrderId)).toEqual(['tf-3-e-1']);
    server.step();
    expect(await exchange.fetchOrder('BTC/USDT', { exchangeOrderId: placed.exchangeOrderId })).toMatchObject({
      status: 'filled',
      filled: '0.01',
      averagePrice: '29500',
    });
    expect((await exchange.myTrades('BTC/USDT'))[0]).toMatchObject({ liquidity: 'maker', price: '29500' });
  });

  it('answers null for a client id the exchange has never seen', async () => {
    const { exchange } = adapterOf(await exchangeWith([flat(0, 30_000)]));
    expect(await exchange.fetchOrder('BTC/USDT', { clientOrderId: 'tf-404-e-1' })).toBeNull();
    expect(await exchange.fetchOrder('BTC/USDT', { exchangeOrderId: '999' })).toBeNull();
  });

  it('places native stop-loss and take-profit orders that fire on their triggers', async () => {
    const server = await exchangeWith([
      flat(0, 30_000),
      bar(1, 30_000, 31_200, 29_950, 31_100),
      bar(2, 31_100, 31_150, 28_900, 28_950),
    ]);
    const { exchange } = adapterOf(server);
    await exchange.createOrder({
      clientOrderId: 'tf-4-e-1',
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      amount: '0.01',
    });
    const stop = await exchange.createOrder({
      clientOrderId: 'tf-4-sl-1',
      symbol: 'BTC/USDT',
      side: 'sell',
      type: 'stop_loss',
      amount: '0.004',
      stopPrice: '29000',
    });
    const takeProfit = await exchange.createOrder({
      clientOrderId: 'tf-4-tp-1',
      symbol: 'BTC/USDT',
      side: 'sell',
      type: 'take_profit_limit',
      amount: '0.005',
      price: '31000',
      stopPrice: '31000',
    });
    expect(stop).toMatchObject({ type: 'stop_loss', status: 'open', stopPrice: '29000' });
    expect(stop.timestamp).toBeGreaterThan(0); // Binance's -1 for an untriggered stop is not a time
    expect(takeProfit).toMatchObject({
      type: 'take_profit_limit',
      status: 'open',
      stopPrice: '31000',
      price: '31000',
    });
    expect((await exchange.fetchOrder('BTC/USDT', { clientOrderId: 'tf-4-sl-1' }))?.type).toBe('stop_loss');

    server.step(); // high 31 200: the take-profit fires
    expect(await exchange.fetchOrder('BTC/USDT', { clientOrderId: 'tf-4-tp-1' })).toMatchObject({
      status: 'filled',
      averagePrice: '31000',
    });
    server.step(); // low 28 900: the stop-loss fires
    expect(await exchange.fetchOrder('BTC/USDT', { clientOrderId: 'tf-4-sl-1' })).toMatchObject({
      status: 'filled',
      averagePrice: '29000',
    });
  });

  it('cancels by client id, and a second cancel returns the cancelled order instead of failing', async () => {
    const { exchange } = adapterOf(await exchangeWith([flat(0, 30_000)]));
    await exchange.createOrder({
      clientOrderId: 'tf-5-e-1',
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      amount: '0.01',
      price: '29000',
    });
    expect(await exchange.cancelOrder('BTC/USDT', { clientOrderId: 'tf-5-e-1' })).toMatchObject({
      status: 'cancelled',
      clientOrderId: 'tf-5-e-1',
    });
    expect(await exchange.cancelOrder('BTC/USDT', { clientOrderId: 'tf-5-e-1' })).toMatchObject({
      status: 'cancelled',
    });
    expect(await exchange.openOrders('BTC/USDT')).toEqual([]);
  });

  it('reports a partial fill as partially_filled, then filled on the next candle', async () => {
    const server = await exchangeWith([flat(0, 30_000), bar(1, 30_000, 30_050, 29_950, 30_000)]);
    const { exchange } = adapterOf(server);
    server.injectFault({
      method: 'POST',
      path: '/api/v3/order',
      times: 1,
      fault: { kind: 'partial-fill', fraction: 0.5 },
    });
    const placed = await exchange.createOrder({
      clientOrderId: 'tf-6-e-1',
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      amount: '0.01',
      price: '30100',
    });
    expect(placed).toMatchObject({ status: 'partially_filled', filled: '0.005' });
    server.step();
    expect(await exchange.fetchOrder('BTC/USDT', { clientOrderId: 'tf-6-e-1' })).toMatchObject({
      status: 'filled',
      filled: '0.01',
    });
  });

  it('refuses an order below the min notional before sending it: the server sees no order', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const { exchange, apiKey } = adapterOf(server);
    for (const type of ['market', 'limit'] as const) {
      const error = await rejection(
        exchange.createOrder({
          clientOrderId: `tf-7-e-${type}`,
          symbol: 'BTC/USDT',
          side: 'buy',
          type,
          amount: '0.0001',
          price: type === 'limit' ? '30000' : undefined,
        }),
      );
      expect(error).toBeInstanceOf(MarketLimitViolation);
      expect(error).toMatchObject({ limit: 'min_notional' });
      expect(String(error)).toMatch(/below the market's min notional 5 USDT/);
    }
    expect(server.orders(apiKey)).toHaveLength(0);
  });

  it('works the same when built from an exchange id with a urls override (one client per account)', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = openCcxtExchange({
      exchangeId: 'binance',
      mode: 'live',
      credentials: { apiKey: 'opened-from-id', secret: 's' },
      urls: { api: localBinanceUrls(server.url) },
      options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
      enableRateLimit: false,
    });
    const order = await exchange.createOrder({
      clientOrderId: 'tf-8-e-1',
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      amount: '0.001',
    });
    expect(order.status).toBe('filled');
    expect(server.orders('opened-from-id')).toHaveLength(1);
  });

  it('lists the open orders of every market when asked without a symbol (the emergency stop’s sweep)', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = openCcxtExchange({
      exchangeId: 'binance',
      mode: 'live',
      credentials: { apiKey: 'open-orders-everywhere', secret: 's' },
      urls: { api: localBinanceUrls(server.url) },
      options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
      enableRateLimit: false,
    });
    await exchange.createOrder({
      clientOrderId: 'tf-9-e-1',
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      amount: '0.001',
      price: '29000',
    });

    expect((await exchange.openOrders()).map((o) => [o.clientOrderId, o.status])).toEqual([
      ['tf-9-e-1', 'open'],
    ]);
  });
});
