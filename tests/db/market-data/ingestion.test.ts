import { afterAll, beforeAll, expect, it } from 'vitest';
import { binanceAgainst } from '../../../platform/exchange-server/ccxt-client.ts';
import type { CandleRow } from '../../../platform/exchange-server/feeds.ts';
import { type ExchangeServer, startExchangeServer } from '../../../platform/exchange-server/server.ts';
import { fundPaperAccount, PaperExchange } from '../../../shared/exchange/paper/index.ts';
import { candleTimes, readCandles, upsertCandles } from '../../../shared/market-data/candle-store.ts';
import {
  ingestCandles,
  loadOhlcvFileIntoCandles,
  type OhlcvSource,
  seedSimulatedCandles,
} from '../../../shared/market-data/ingest.ts';
import { dec } from '../../../shared/money/decimal.ts';
import { paperAccount } from '../../support/builders.ts';
import { createUser, describeOnEachBackend } from '../../support/databases.ts';
import { readSharedOhlcv } from '../../support/shared-data.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const at = (minute: number) => T0 + minute * MINUTE;
const price = (i: number) => 30_000 + i;

/** 100 one-minute candles, minutes 0…99, all visible (the server's current candle is minute 99). */
const rows: CandleRow[] = Array.from({ length: 100 }, (_, i) => [
  at(i),
  price(i),
  price(i) + 5,
  price(i) - 5,
  price(i) + 1,
  12,
]);

let server: ExchangeServer;
beforeAll(async () => {
  server = await startExchangeServer({
    feeds: [{ symbol: 'BTC/USDT', interval: '1m', candles: rows, startIndex: 99 }],
  });
});
afterAll(async () => {
  await server?.close();
});

/** The real ccxt binance client's fetchOHLCV as an OHLCV source, counting requests. */
function ccxtSource(): OhlcvSource & { calls: { since?: number; limit?: number }[] } {
  const client = binanceAgainst(server.url, { apiKey: 'ingest', secret: 'ingest' });
  const calls: { since?: number; limit?: number }[] = [];
  return {
    id: 'binance',
    calls,
    async ohlcv(symbol, timeframe, since, limit) {
      calls.push({ ...(since === undefined ? {} : { since }), ...(limit === undefined ? {} : { limit }) });
      const candles = await client.fetchOHLCV(symbol, timeframe, since, limit);
      return candles.map(([ts, open, high, low, close, volume]) => ({
        ts: ts!,
        open: dec(open!).toFixed(),
        high: dec(high!).toFixed(),
        low: dec(low!).toFixed(),
        close: dec(close!).toFixed(),
        volume: dec(volume!).toFixed(),
      }));
    },
  };
}

describeOnEachBackend('candle ingestion', (database) => {
  it('fetches only the missing ranges, page by page, through the real ccxt client; a second run fetches nothing', async () => {
    const { db } = database();
    const series = { exchangeId: 'binance', symbol: 'BTC/USDT', timeframe: '1m' };
    const have = [...rows.slice(10, 20), ...rows.slice(50, 60)].map(([ts, o, h, l, c, v]) => ({
      ts,
      open: String(o),
      high: String(h),
      low: String(l),
      close: String(c),
      volume: String(v),
    }));
    await upsertCandles(db, series, have);

    const source = ccxtSource();
    const options = { ...series, since: at(0), now: at(100), pageLimit: 15 };
    const first = await ingestCandles(db, source, options);
    expect(first.gaps.map((g) => [g.from, g.to])).toEqual([
      [at(0), at(10)],
      [at(20), at(50)],
      [at(60), at(100)],
    ]);
    // 10 bars = 1 request, 30 bars = 2 pages, 40 bars = 3 pages
    expect(first).toMatchObject({ missingBefore: 80, requests: 6, fetched: 80, stored: 80, missingAfter: 0 });
    expect(Math.max(...source.calls.map((c) => c.limit ?? 0))).toBeLessThanOrEqual(15);

    const stored = await readCandles(db, series);
    expect(stored).toHaveLength(100);
    expect(stored[42]).toEqual({
      ts: at(42),
      open: '30042',
      high: '30047',
      low: '30037',
      close: '30043',
      volume: '12',
    });

    const again = ccxtSource();
    const second = await ingestCandles(db, again, options);
    expect(second).toMatchObject({ missingBefore: 0, requests: 0, stored: 0 });
    expect(again.calls).toEqual([]);
  });

  it('never stores the candle that is still open at `now`', async () => {
    const { db } = database();
    const series = { exchangeId: 'binance-open', symbol: 'BTC/USDT', timeframe: '1m' };
    // At 99:30 the bar opened at minute 99 is still forming, even though the exchange shows it.
    const result = await ingestCandles(db, ccxtSource(), { ...series, since: at(90), now: at(99) + 30_000 });
    expect(result).toMatchObject({ to: at(99), stored: 9, missingAfter: 0 });
    const times = await candleTimes(db, series, at(0), at(200));
    expect(times.at(-1)).toBe(at(98));
    // Once it has closed, the next run stores exactly that one bar.
    const later = await ingestCandles(db, ccxtSource(), { ...series, since: at(90), now: at(100) });
    expect(later).toMatchObject({ missingBefore: 1, requests: 1, stored: 1 });
  });

  it('reports bars the exchange has no data for instead of inventing them', async () => {
    const { db } = database();
    const series = { exchangeId: 'binance-ahead', symbol: 'BTC/USDT', timeframe: '1m' };
    // The window reaches past what the exchange has shown so far (minute 99).
    const result = await ingestCandles(db, ccxtSource(), { ...series, since: at(95), now: at(110) });
    expect(result).toMatchObject({ missingBefore: 15, stored: 5, missingAfter: 10 });
  });

  it('loads an OHLCV file idempotently and refuses a malformed one without storing anything', async () => {
    const { db } = database();
    const text = readSharedOhlcv('XRP_ETH-5m.json');
    const first = await loadOhlcvFileIntoCandles(db, text, {
      exchangeId: 'file',
      fileName: 'XRP_ETH-5m.json',
    });
    expect(first).toMatchObject({ symbol: 'XRP/ETH', timeframe: '5m' });
    expect(first.stored).toBe(first.candles);
    const again = await loadOhlcvFileIntoCandles(db, text, {
      exchangeId: 'file',
      fileName: 'XRP_ETH-5m.json',
    });
    expect(again.stored).toBe(0);

    const bad = JSON.stringify([
      [at(0), 1, 2, 0.5, 1.5, 10],
      [at(1), 1, 0.9, 0.5, 1.5, 10],
    ]);
    await expect(
      loadOhlcvFileIntoCandles(db, bad, { exchangeId: 'bad', symbol: 'BTC/USDT' }),
    ).rejects.toThrow(/row 1 high/);
    expect(
      await candleTimes(db, { exchangeId: 'bad', symbol: 'BTC/USDT', timeframe: '1m' }, 0, at(1000)),
    ).toEqual([]);
  });

  it('seeds a simulated market ending at now that the paper exchange can trade on, with no files or network', async () => {
    const { db } = database();
    const now = Date.UTC(2026, 2, 1, 12, 0, 30);
    const seeded = await seedSimulatedCandles(db, { seed: 42, startPrice: 30000, count: 300, now });
    expect(seeded).toMatchObject({ exchangeId: 'paper', symbol: 'BTC/USDT', timeframe: '1m', stored: 300 });
    expect(seeded.candles.at(-1)!.ts).toBe(Date.UTC(2026, 2, 1, 11, 59));
    // Same seed, same candles: nothing changes the second time.
    expect((await seedSimulatedCandles(db, { seed: 42, startPrice: 30000, count: 300, now })).stored).toBe(0);

    const owner = await createUser(db);
    const accountId = await paperAccount(db, owner);
    await fundPaperAccount(db, accountId);
    const exchange = new PaperExchange({ db, accountId, clock: () => now });
    const market = await exchange.market('BTC/USDT');
    const order = await exchange.createOrder({
      clientOrderId: 'seeded-1',
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      amount: dec('0.01').toFixed(),
    });
    expect(order.status).toBe('filled');
    expect(dec(order.averagePrice!).gt(dec(seeded.candles.at(-1)!.close))).toBe(true);
    expect(market.minNotional).toBe('5');
  });
});
