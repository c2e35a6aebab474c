import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeOhlcvFileName, parseOhlcvJson } from '../../../shared/market-data/index.ts';
import { readSharedOhlcv, sharedDataDir } from '../../support/shared-data.ts';

const T0 = Date.parse('2024-03-05T10:00:00Z');
const row = (minute: number, o = 1, h = 2, l = 0.5, c = 1.5, v = 10) => [T0 + minute * 60_000, o, h, l, c, v];
const file = (...rows: unknown[]) => JSON.stringify(rows);

describe('parseOhlcvJson on real files from ../shared/data', () => {
  it('loads ETH_BTC-5m.json with symbol and timeframe taken from its name', () => {
    const name = describeOhlcvFileName('ETH_BTC-5m.json');
    const series = parseOhlcvJson(readSharedOhlcv('ETH_BTC-5m.json'), name);
    expect(series).toMatchObject({ symbol: 'ETH/BTC', timeframe: '5m', gaps: [], missingBars: 0 });
    expect(series.candles).toHaveLength(5760);
    expect(new Date(series.candles[0]!.ts).toISOString()).toBe('2018-01-10T04:55:00.000Z');
    expect(new Date(series.candles.at(-1)!.ts).toISOString()).toBe('2018-01-30T04:50:00.000Z');
    for (const field of ['open', 'high', 'low', 'close', 'volume'] as const) {
      expect(series.candles[0]![field]).toMatch(/^\d+(\.\d+)?$/);
    }
  });

  it('reports the 538 irregular steps of UNITTEST_BTC-1m.json as gaps, inferring the timeframe', () => {
    const series = parseOhlcvJson(readSharedOhlcv('UNITTEST_BTC-1m.json'));
    expect(series.timeframe).toBe('1m');
    expect(series.candles).toHaveLength(13_681);
    expect(series.irregularSteps).toHaveLength(538);
    expect(series.irregularSteps.every((step) => step.kind === 'gap')).toBe(true);
    expect(series.gaps).toHaveLength(538);
    expect(series.missingBars).toBe(717);
  });

  it('finds the missing bars of ADA_BTC-5m.json', () => {
    const series = parseOhlcvJson(
      readSharedOhlcv('ADA_BTC-5m.json'),
      describeOhlcvFileName('ADA_BTC-5m.json'),
    );
    expect(series.gaps.map((gap) => gap.bars)).toEqual([1, 1, 4, 1, 33]);
    expect(series.missingBars).toBe(40);
  });

  it('keeps the exact decimal text of every price', () => {
    const [first] = parseOhlcvJson(readSharedOhlcv('UNITTEST_BTC-1m.json'), { timeframe: '1m' }).candles;
    expect(first).toEqual({
      ts: 1509836520000,
      open: '0.00162008',
      high: '0.00162008',
      low: '0.00162008',
      close: '0.00162008',
      volume: '108.14853839',
    });
  });
});

describe('the ../shared/data helper', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('fails with a clear message when the folder is absent, instead of passing silently', () => {
    vi.stubEnv('TRADEFLOW_SHARED_DATA', '/nonexistent/shared/data');
    expect(() => sharedDataDir()).toThrow(
      '../shared/data is missing: expected it at /nonexistent/shared/data',
    );
    expect(() => readSharedOhlcv('ETH_BTC-5m.json')).toThrow('../shared/data is missing');
  });
});

describe('parseOhlcvJson on bad input', () => {
  it('refuses text that is not JSON or not an array', () => {
    expect(() => parseOhlcvJson('[[1, 2')).toThrow('OHLCV file is not valid JSON');
    expect(() => parseOhlcvJson('{"rows": []}')).toThrow('must be a JSON array');
  });

  it('names the row and column of a bad value', () => {
    expect(() =>
      parseOhlcvJson(file(row(0), [T0 + 60_000, 1, '2', 0.5, 1.5, 10]), { timeframe: '1m' }),
    ).toThrow(/row 1 high: .*expected number/);
    expect(() =>
      parseOhlcvJson(file(row(0), row(1), row(2, 1, 2, 0.5, 1.5, -3)), { timeframe: '1m' }),
    ).toThrow(/row 2 volume: /);
    expect(() => parseOhlcvJson(file(row(0), row(1, 0)), { timeframe: '1m' })).toThrow(/row 1 open: /);
    expect(() => parseOhlcvJson(file(row(0), [T0, 1, 2, 0.5, 1.5]), { timeframe: '1m' })).toThrow(/row 1: /);
  });

  it('refuses rows whose high or low do not contain open and close', () => {
    expect(() => parseOhlcvJson(file(row(0, 1, 1.2, 0.5, 1.5)), { timeframe: '1m' })).toThrow(
      'row 0 high: high is below open, close or low',
    );
    expect(() => parseOhlcvJson(file(row(0, 1, 2, 1.1, 1.5)), { timeframe: '1m' })).toThrow(
      'row 0 low: low is above open or close',
    );
  });

  it('refuses open times in seconds', () => {
    expect(() => parseOhlcvJson(file([1_709_632_800, 1, 2, 0.5, 1.5, 1]), { timeframe: '1m' })).toThrow(
      'row 0 open_time: must be milliseconds since the epoch (seconds given?)',
    );
  });

  it('refuses rows out of order or duplicated', () => {
    expect(() => parseOhlcvJson(file(row(0), row(2), row(1)), { timeframe: '1m' })).toThrow(
      'row 2: open time 1709632860000 is not after row 1',
    );
    expect(() => parseOhlcvJson(file(row(0), row(0)), { timeframe: '1m' })).toThrow('row 1');
  });

  it('lists the first few problems and counts the rest', () => {
    const rows = Array.from({ length: 8 }, (_, minute) => row(minute, -1));
    expect(() => parseOhlcvJson(file(...rows), { timeframe: '1m' })).toThrow(
      /row 4 open: [^;]*\(and 3 more\)$/,
    );
  });

  it('reports a step that is not a whole number of bars as misaligned', () => {
    const series = parseOhlcvJson(file(row(0), row(1), [T0 + 150_000, 1, 2, 0.5, 1.5, 1], row(4)), {
      timeframe: '1m',
    });
    expect(series.irregularSteps.map((step) => [step.index, step.kind])).toEqual([
      [2, 'misaligned'],
      [3, 'misaligned'],
    ]);
  });

  it('needs a timeframe when there are too few rows to infer it', () => {
    expect(() => parseOhlcvJson(file(row(0)))).toThrow('cannot infer the timeframe from fewer than 2 rows');
    expect(parseOhlcvJson('[]', { timeframe: '1h' })).toMatchObject({
      candles: [],
      gaps: [],
      missingBars: 0,
    });
  });
});

describe('describeOhlcvFileName', () => {
  it('reads symbol and timeframe from spot and futures file names', () => {
    expect(describeOhlcvFileName('ETH_BTC-5m.json')).toEqual({
      symbol: 'ETH/BTC',
      timeframe: '5m',
      candleType: 'spot',
    });
    expect(describeOhlcvFileName('/data/ohlcv/UNITTEST_BTC-1m.json')).toMatchObject({
      symbol: 'UNITTEST/BTC',
      timeframe: '1m',
    });
    expect(describeOhlcvFileName('futures__XRP_USDT_USDT-5m-futures.json')).toEqual({
      symbol: 'XRP/USDT:USDT',
      timeframe: '5m',
      candleType: 'futures',
    });
  });

  it('refuses names that do not follow the convention', () => {
    expect(() => describeOhlcvFileName('ETHBTC.json')).toThrow(
      'cannot read a symbol and timeframe from the file name "ETHBTC.json"',
    );
    expect(() => describeOhlcvFileName('ETH_BTC-5x.json')).toThrow('timeframe "5x" is not valid');
  });
});
