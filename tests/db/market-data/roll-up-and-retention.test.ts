import { expect, it } from 'vitest';
import type { SqlClient } from '../../../shared/db/sql.ts';
import type { Candle } from '../../../shared/market-data/candle.ts';
import { readCandles, upsertCandles } from '../../../shared/market-data/candle-store.ts';
import { parseOhlcvJson, rollUp } from '../../../shared/market-data/index.ts';
import { loadOhlcvFileIntoCandles } from '../../../shared/market-data/ingest.ts';
import { dec } from '../../../shared/money/decimal.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import { readSharedOhlcv } from '../../support/shared-data.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const canonical = (c: Candle) => ({
  ts: c.ts,
  open: dec(c.open).toFixed(),
  high: dec(c.high).toFixed(),
  low: dec(c.low).toFixed(),
  close: dec(c.close).toFixed(),
  volume: dec(c.volume).toFixed(),
});

async function countBy(db: SqlClient, exchange: string): Promise<Record<string, number>> {
  const rows = await db.query<{ timeframe: string; n: number }>(
    `select timeframe, count(*)::int as n from public.candles where exchange = $1 group by timeframe order by 1`,
    [exchange],
  );
  return Object.fromEntries(rows.map((r) => [r.timeframe, r.n]));
}

it("the traded-bars rule reproduces the exchange's own 5m candles from its 1m candles; counting empty bars does not", () => {
  const minutes = parseOhlcvJson(readSharedOhlcv('XRP_ETH-1m.json'), { timeframe: '1m' }).candles;
  const fives = new Map(
    parseOhlcvJson(readSharedOhlcv('XRP_ETH-5m.json'), { timeframe: '5m' }).candles.map((c) => [c.ts, c]),
  );
  const disagreements = (emptyBars: 'include' | 'ignore') => {
    let compared = 0;
    let differ = 0;
    for (const c of rollUp(minutes, '1m', '5m', { emptyBars, incomplete: 'drop' })) {
      const exchange = fives.get(c.ts);
      if (!exchange || dec(exchange.volume).isZero()) continue;
      compared += 1;
      const { ts: _a, volume: _b, ...prices } = canonical(c);
      const { ts: _c, volume: _d, ...theirs } = canonical(exchange);
      if (JSON.stringify(prices) !== JSON.stringify(theirs)) differ += 1;
    }
    return { compared, differ };
  };
  expect(disagreements('ignore')).toEqual({ compared: 706, differ: 0 });
  expect(disagreements('include')).toEqual({ compared: 706, differ: 183 });
});

describeOnEachBackend('candle roll-ups and retention', (database) => {
  it('rolls real 1m candles up into exactly the 1h candles the TypeScript roll-up computes', async () => {
    const { db } = database();
    const loaded = await loadOhlcvFileIntoCandles(db, readSharedOhlcv('XRP_ETH-1m.json'), {
      exchangeId: 'parity',
      fileName: 'XRP_ETH-1m.json',
    });
    expect(loaded).toMatchObject({ symbol: 'XRP/ETH', timeframe: '1m', candles: 3560, stored: 3560 });
    const minutes = await readCandles(db, { exchangeId: 'parity', symbol: 'XRP/ETH', timeframe: '1m' });
    const last = minutes[minutes.length - 1]!.ts;
    // up_to inside the last hour: that hour is still forming and must not be rolled up.
    const upTo = last + MINUTE;
    const written = await db.query<{ n: number }>('select public.roll_up_candles($1::timestamptz) as n', [
      new Date(upTo).toISOString(),
    ]);
    const expected = rollUp(minutes, '1m', '1h', { emptyBars: 'ignore', incomplete: 'keep' })
      .filter((c) => c.ts < upTo - (upTo % HOUR))
      .map(({ bars: _bars, complete: _complete, ...c }) => canonical(c));
    const hours = await readCandles(db, { exchangeId: 'parity', symbol: 'XRP/ETH', timeframe: '1h' });
    expect(written[0]!.n).toBe(expected.length);
    expect(expected.length).toBeGreaterThan(50);
    expect(hours.map(canonical)).toEqual(expected);

    // Idempotent: a second run rewrites the same rows.
    await db.query('select public.roll_up_candles($1::timestamptz)', [new Date(upTo).toISOString()]);
    expect(
      (await readCandles(db, { exchangeId: 'parity', symbol: 'XRP/ETH', timeframe: '1h' })).map(canonical),
    ).toEqual(expected);
  });

  it('prunes each class past its retention and keeps the rest', async () => {
    const { db } = database();
    const now = Date.UTC(2026, 5, 15, 12, 30);
    const bar = (ts: number): Candle => ({ ts, open: '10', high: '11', low: '9', close: '10', volume: '1' });
    const put = (timeframe: string, times: number[]) =>
      upsertCandles(db, { exchangeId: 'retention', symbol: 'BTC/USDT', timeframe }, times.map(bar));
    const hourAligned = (ts: number) => ts - (ts % HOUR);
    await put('1s', [now - 7 * DAY - 1000, now - 7 * DAY + 1000]);
    // minute class goes by whole hours: the hour containing now − 30 days is kept whole
    const cut = hourAligned(now - 30 * DAY);
    await put('1m', [cut - 2 * HOUR, cut - MINUTE, cut, now - 30 * DAY - MINUTE, now - 30 * DAY + MINUTE]);
    await put('5m', [cut - 10 * MINUTE, now - DAY]);
    await put('1h', [now - 366 * DAY, now - 364 * DAY]);
    await put('1d', [hourAligned(now - 400 * DAY) - ((now - 400 * DAY) % DAY), now - 10 * DAY]);

    const pruned = await db.query<{ result: Record<string, number> }>(
      'select public.prune_candles($1::timestamptz) as result',
      [new Date(now).toISOString()],
    );
    // Other tests' older candles in this database go too, so the counts are at least these.
    expect(pruned[0]!.result['raw']).toBe(1);
    expect(pruned[0]!.result['minute']).toBeGreaterThanOrEqual(3);
    expect(pruned[0]!.result['hour']).toBeGreaterThanOrEqual(2);
    expect(await countBy(db, 'retention')).toEqual({ '1d': 1, '1h': 1, '1m': 3, '1s': 1, '5m': 1 });
  });

  it('never rebuilds an hour from what pruning left of it (the 1h candle stays correct)', async () => {
    const { db } = database();
    const hour = Date.UTC(2026, 0, 1, 12);
    const minutes = Array.from({ length: 60 }, (_, i) => ({
      ts: hour + i * MINUTE,
      open: String(100 + i),
      high: String(100 + i),
      low: String(100 + i),
      close: String(100 + i),
      volume: '1',
    }));
    await upsertCandles(db, { exchangeId: 'halfpruned', symbol: 'BTC/USDT', timeframe: '1m' }, minutes);
    // The maintenance job runs at 12:30 thirty days later, then again five minutes after.
    const first = hour + 30 * DAY + 30 * MINUTE;
    for (const at of [first, first + 5 * MINUTE]) {
      await db.query('select public.maintain_candles($1::timestamptz)', [new Date(at).toISOString()]);
    }
    const [rolled] = await readCandles(db, { exchangeId: 'halfpruned', symbol: 'BTC/USDT', timeframe: '1h' });
    expect(canonical(rolled!)).toEqual({
      ts: hour,
      open: '100',
      high: '159',
      low: '100',
      close: '159',
      volume: '60',
    });
  });

  it('rolls up each hour from the finest timeframe present in that hour', async () => {
    const { db } = database();
    const h0 = Date.UTC(2026, 0, 2, 0);
    const h1 = h0 + HOUR;
    const bars = (start: number, step: number, n: number, price: string): Candle[] =>
      Array.from({ length: n }, (_, i) => ({
        ts: start + i * step,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: '1',
      }));
    // 5m covers both hours; 1m only the second.
    await upsertCandles(
      db,
      { exchangeId: 'mixed', symbol: 'BTC/USDT', timeframe: '5m' },
      bars(h0, 5 * MINUTE, 24, '50'),
    );
    await upsertCandles(
      db,
      { exchangeId: 'mixed', symbol: 'BTC/USDT', timeframe: '1m' },
      bars(h1, MINUTE, 60, '60'),
    );
    await db.query('select public.roll_up_candles($1::timestamptz)', [new Date(h1 + 2 * HOUR).toISOString()]);
    const hours = await readCandles(db, { exchangeId: 'mixed', symbol: 'BTC/USDT', timeframe: '1h' });
    expect(hours.map((c) => [c.ts, c.close, dec(c.volume).toFixed()])).toEqual([
      [h0, '50', '12'],
      [h1, '60', '60'],
    ]);
  });
});
