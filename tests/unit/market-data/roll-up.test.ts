import { describe, expect, it } from 'vitest';
import { type Candle, parseOhlcvJson, rollUp } from '../../../shared/market-data/index.ts';
import { readSharedOhlcv } from '../../support/shared-data.ts';

const t = (iso: string) => Date.parse(iso);
const bar = (
  iso: string,
  open: string,
  high: string,
  low: string,
  close: string,
  volume: string,
): Candle => ({
  ts: t(iso),
  open,
  high,
  low,
  close,
  volume,
});

// Seven 1-minute bars across two 5-minute buckets (10:00 and 10:05), with 10:07–10:09 missing.
const minutes = [
  bar('2024-03-05T10:00:00Z', '100.0', '101.5', '99.5', '101.0', '1.5'),
  bar('2024-03-05T10:01:00Z', '101.0', '102.25', '100.5', '102.0', '2'),
  bar('2024-03-05T10:02:00Z', '102.0', '102.0', '98.75', '99.0', '0.1'),
  bar('2024-03-05T10:03:00Z', '99.0', '100.0', '99.0', '99.5', '0.2'),
  bar('2024-03-05T10:04:00Z', '99.5', '99.9', '99.1', '99.8', '0.3'),
  bar('2024-03-05T10:05:00Z', '99.8', '103', '99.8', '102.5', '5'),
  bar('2024-03-05T10:06:00Z', '102.5', '102.6', '97', '97.5', '0.05'),
];

describe('rollUp', () => {
  it('takes the first open, highest high, lowest low, last close and summed volume per bucket', () => {
    expect(rollUp(minutes, '1m', '5m')).toEqual([
      {
        ts: t('2024-03-05T10:00:00Z'),
        open: '100.0',
        high: '102.25',
        low: '98.75',
        close: '99.8',
        volume: '4.1',
        bars: 5,
        complete: true,
      },
      {
        ts: t('2024-03-05T10:05:00Z'),
        open: '99.8',
        high: '103',
        low: '97',
        close: '97.5',
        volume: '5.05',
        bars: 2,
        complete: false,
      },
    ]);
  });

  it('drops the incomplete last bucket or every incomplete bucket when asked', () => {
    expect(rollUp(minutes, '1m', '5m', { incomplete: 'drop-last' }).map((c) => c.ts)).toEqual([
      t('2024-03-05T10:00:00Z'),
    ]);
    const startsMidBucket = minutes.slice(2);
    expect(rollUp(startsMidBucket, '1m', '5m', { incomplete: 'drop-last' }).map((c) => c.bars)).toEqual([3]);
    expect(rollUp(startsMidBucket, '1m', '5m', { incomplete: 'drop' })).toEqual([]);
  });

  it('aligns 4h buckets to 00:00, 04:00, … UTC and weekly buckets to Monday', () => {
    const hours = [
      bar('2024-03-05T03:00:00Z', '1', '2', '1', '2', '1'),
      bar('2024-03-05T04:00:00Z', '2', '3', '2', '3', '1'),
    ];
    expect(rollUp(hours, '1h', '4h').map((c) => [new Date(c.ts).toISOString(), c.open])).toEqual([
      ['2024-03-05T00:00:00.000Z', '1'],
      ['2024-03-05T04:00:00.000Z', '2'],
    ]);
    const days = [
      bar('2024-03-03T00:00:00Z', '10', '11', '9', '10.5', '3'), // Sunday
      bar('2024-03-04T00:00:00Z', '10.5', '12', '10', '11', '4'), // Monday
      bar('2024-03-10T00:00:00Z', '11', '11', '8', '9', '5'), // Sunday
    ];
    expect(rollUp(days, '1d', '1w')).toEqual([
      {
        ts: t('2024-02-26T00:00:00Z'),
        open: '10',
        high: '11',
        low: '9',
        close: '10.5',
        volume: '3',
        bars: 1,
        complete: false,
      },
      {
        ts: t('2024-03-04T00:00:00Z'),
        open: '10.5',
        high: '12',
        low: '8',
        close: '9',
        volume: '9',
        bars: 2,
        complete: false,
      },
    ]);
  });

  it('compares prices as decimals, not as text', () => {
    const bars = [
      bar('2024-03-05T10:00:00Z', '9.5', '9.9', '9.5', '9.9', '1'),
      bar('2024-03-05T10:01:00Z', '9.9', '10.1', '9.8', '10', '1'),
    ];
    expect(rollUp(bars, '1m', '5m')[0]).toMatchObject({ high: '10.1', low: '9.5' });
  });

  it('prices a bucket from traded bars only when empty bars are ignored', () => {
    const bars = [
      bar('2024-03-05T10:00:00Z', '50', '50', '50', '50', '0'), // no trades: filled with the previous close
      bar('2024-03-05T10:01:00Z', '52', '53', '51', '52.5', '2'),
      bar('2024-03-05T10:02:00Z', '52.5', '52.5', '52.5', '52.5', '0'),
    ];
    expect(rollUp(bars, '1m', '5m', { emptyBars: 'ignore' })[0]).toMatchObject({
      open: '52',
      high: '53',
      low: '51',
      close: '52.5',
      volume: '2',
      bars: 3,
    });
    expect(rollUp(bars, '1m', '5m')[0]).toMatchObject({ open: '50', low: '50' });
    const quiet = rollUp(bars.slice(2), '1m', '5m', { emptyBars: 'ignore' })[0];
    expect(quiet).toMatchObject({ open: '52.5', close: '52.5', volume: '0' });
  });

  it('refuses a target that is not a multiple, unsorted candles and misaligned bars', () => {
    expect(() => rollUp(minutes, '5m', '1m')).toThrow('cannot roll 5m candles up into 1m');
    expect(() => rollUp(minutes, '1h', '90m')).toThrow('90m is not a multiple');
    expect(() => rollUp([minutes[1]!, minutes[0]!], '1m', '5m')).toThrow('candle 1');
    expect(() => rollUp([{ ...minutes[0]!, ts: minutes[0]!.ts + 30_000 }], '1m', '5m')).toThrow(
      'not on a 1m boundary',
    );
  });

  it("reproduces the exchange's own 5m candles from its 1m candles (XRP_ETH, traded bars)", () => {
    const oneMinute = parseOhlcvJson(readSharedOhlcv('XRP_ETH-1m.json'), { timeframe: '1m' }).candles;
    const fiveMinute = parseOhlcvJson(readSharedOhlcv('XRP_ETH-5m.json'), { timeframe: '5m' }).candles;
    const rolled = rollUp(oneMinute, '1m', '5m', { emptyBars: 'ignore' });
    expect(rolled).toHaveLength(fiveMinute.length);
    const strip = ({ ts, open, high, low, close, volume }: Candle) => ({
      ts,
      open,
      high,
      low,
      close,
      volume,
    });
    expect(rolled.map(strip)).toEqual(fiveMinute);
    expect(rolled.every((candle) => candle.complete)).toBe(true);
  });
});
