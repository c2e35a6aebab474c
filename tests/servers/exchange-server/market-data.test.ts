import ccxt from 'ccxt';
import { afterAll, describe, expect, it } from 'vitest';
import { binanceAgainst } from '../../../platform/exchange-server/ccxt-client.ts';
import { startExchangeServer } from '../../../platform/exchange-server/server.ts';
import { sharedOhlcvPath } from '../../support/shared-data.ts';
import { bar, clientOf, closeExchanges, exchangeWith, flat, MINUTE, T0 } from './support.ts';

afterAll(closeExchanges);

describe('market data through the real ccxt client', () => {
  it('loads spot markets with Binance precision and limits, touching no other endpoint family', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const exchange = clientOf(server);
    const markets = await exchange.loadMarkets();
    expect(Object.keys(markets)).toEqual(['BTC/USDT']);
    const btc = markets['BTC/USDT']!;
    expect(btc.spot).toBe(true);
    expect(btc.precision).toMatchObject({ price: 0.01, amount: 0.00001 });
    expect(btc.limits.amount).toEqual({ min: 0.00001, max: 9000 });
    expect(btc.limits.cost?.min).toBe(5);
    expect(exchange.priceToPrecision('BTC/USDT', 30_000.123)).toBe('30000.12');
    expect(exchange.amountToPrecision('BTC/USDT', 0.1234567)).toBe('0.12345');
  });

  it('quotes the current candle: close as last, bid and ask a tick around it', async () => {
    const server = await exchangeWith([bar(0, 29_900, 30_100, 29_800, 30_000)]);
    const ticker = await clientOf(server).fetchTicker('BTC/USDT');
    expect(ticker).toMatchObject({ last: 30_000, bid: 29_999.99, ask: 30_000.01, high: 30_100, low: 29_800 });
    expect(ticker.timestamp).toBe(T0 + MINUTE);
  });

  it('shows candles up to the current one only, and the next one after a step', async () => {
    const server = await exchangeWith([flat(0, 100), flat(1, 101), flat(2, 102)]);
    const exchange = clientOf(server);
    expect(await exchange.fetchOHLCV('BTC/USDT', '1m')).toEqual([[T0, 100, 100, 100, 100, 12]]);
    server.step();
    expect(await exchange.fetchOHLCV('BTC/USDT', '1m')).toEqual([
      [T0, 100, 100, 100, 100, 12],
      [T0 + MINUTE, 101, 101, 101, 101, 12],
    ]);
    expect((await exchange.fetchTicker('BTC/USDT')).last).toBe(101);
  });

  it('aggregates candles into longer intervals', async () => {
    const server = await exchangeWith([
      bar(0, 100, 105, 99, 101),
      bar(1, 101, 110, 100, 108),
      bar(2, 108, 109, 90, 95),
    ]);
    server.step(2);
    const ohlcv = await clientOf(server).fetchOHLCV('BTC/USDT', '3m');
    expect(ohlcv).toEqual([[T0, 100, 110, 90, 95, 36]]);
  });

  it('answers an order book around the last price', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    const book = await clientOf(server).fetchOrderBook('BTC/USDT', 5);
    expect(book.bids[0]).toEqual([29_999.99, expect.any(Number)]);
    expect(book.asks[0]).toEqual([30_000.01, expect.any(Number)]);
    expect(book.bids).toHaveLength(5);
  });

  it('tells ccxt BadSymbol for a market it does not list', async () => {
    const server = await exchangeWith([flat(0, 30_000)]);
    await expect(clientOf(server).publicGetTicker24hr({ symbol: 'DOGEUSDT' })).rejects.toBeInstanceOf(
      ccxt.BadSymbol,
    );
  });

  it('runs without data files on seeded random walks that repeat for the same seed', async () => {
    const a = await startExchangeServer({ generated: { seed: 7 } });
    const b = await startExchangeServer({ generated: { seed: 7 } });
    try {
      const [ta, tb] = await Promise.all([
        binanceAgainst(a.url, { apiKey: 'k', secret: 's' }).fetchTicker('ETH/BTC'),
        binanceAgainst(b.url, { apiKey: 'k', secret: 's' }).fetchTicker('ETH/BTC'),
      ]);
      expect(ta.last).toBe(tb.last);
      const markets = await binanceAgainst(a.url, { apiKey: 'k', secret: 's' }).loadMarkets();
      expect(Object.keys(markets).sort()).toEqual(['BTC/USDT', 'ETH/BTC', 'ETH/USDT']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('replays on a timer at the given speed (candle intervals per real interval)', async () => {
    // 60 000× turns one-minute candles into one per millisecond.
    const server = await startExchangeServer({ speed: 60_000, generated: { seed: 1 } });
    try {
      const exchange = binanceAgainst(server.url, { apiKey: 'k', secret: 's' });
      const before = (await exchange.fetchTicker('BTC/USDT')).timestamp!;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await exchange.fetchTicker('BTC/USDT')).timestamp).toBeGreaterThan(before);
    } finally {
      await server.close();
    }
  });

  // Fails with a clear message when ../shared/data is absent, never skips (tests/support/shared-data.ts).
  it('replays a real OHLCV file (ETH_BTC-5m.json)', async () => {
    const server = await startExchangeServer({ dataFiles: [sharedOhlcvPath('ETH_BTC-5m.json')] });
    try {
      const exchange = binanceAgainst(server.url, { apiKey: 'k', secret: 's' });
      const markets = await exchange.loadMarkets();
      expect(markets['ETH/BTC']!.precision).toMatchObject({ price: 0.00001, amount: 0.0001 });
      const candles = await exchange.fetchOHLCV('ETH/BTC', '5m', undefined, 3);
      expect(candles).toHaveLength(3);
      expect(candles[2]![0]! - candles[1]![0]!).toBe(5 * MINUTE);
      const before = (await exchange.fetchTicker('ETH/BTC')).timestamp!;
      server.step();
      expect((await exchange.fetchTicker('ETH/BTC')).timestamp).toBeGreaterThan(before);
    } finally {
      await server.close();
    }
  });
});
