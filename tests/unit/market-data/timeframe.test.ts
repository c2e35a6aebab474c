import { describe, expect, it } from 'vitest';
import {
  bucketStart,
  isOnBoundary,
  msToTimeframe,
  timeframeToMs,
} from '../../../shared/market-data/index.ts';

const utc = (iso: string) => Date.parse(iso);

describe('timeframes', () => {
  it('converts ccxt timeframes to milliseconds', () => {
    expect(['1s', '1m', '5m', '15m', '1h', '4h', '1d', '1w'].map(timeframeToMs)).toEqual([
      1_000, 60_000, 300_000, 900_000, 3_600_000, 14_400_000, 86_400_000, 604_800_000,
    ]);
  });

  it('names a duration with its largest whole unit', () => {
    expect([60_000, 300_000, 3_600_000, 86_400_000, 90_000].map(msToTimeframe)).toEqual([
      '1m',
      '5m',
      '1h',
      '1d',
      '90s',
    ]);
    expect(msToTimeframe(1500)).toBeUndefined();
  });

  it('refuses unknown timeframes and months, saying why', () => {
    expect(() => timeframeToMs('5x')).toThrow('timeframe "5x" is not valid');
    expect(() => timeframeToMs('0m')).toThrow('is not valid');
    expect(() => timeframeToMs('1M')).toThrow('months have no fixed length');
  });

  it('buckets by UTC boundaries counted from the epoch', () => {
    expect(bucketStart(utc('2024-03-05T07:59:59.999Z'), '4h')).toBe(utc('2024-03-05T04:00:00Z'));
    expect(bucketStart(utc('2024-03-05T08:00:00Z'), '4h')).toBe(utc('2024-03-05T08:00:00Z'));
    expect(bucketStart(utc('2024-03-05T23:59:00Z'), '1d')).toBe(utc('2024-03-05T00:00:00Z'));
    expect(bucketStart(utc('2024-03-05T10:07:00Z'), '15m')).toBe(utc('2024-03-05T10:00:00Z'));
  });

  it('starts weekly buckets on Monday 00:00 UTC', () => {
    // 2024-03-07 is a Thursday; its week began on Monday 2024-03-04.
    expect(bucketStart(utc('2024-03-07T12:00:00Z'), '1w')).toBe(utc('2024-03-04T00:00:00Z'));
    expect(bucketStart(utc('2024-03-04T00:00:00Z'), '1w')).toBe(utc('2024-03-04T00:00:00Z'));
    expect(bucketStart(utc('2024-03-03T23:59:00Z'), '1w')).toBe(utc('2024-02-26T00:00:00Z'));
  });

  it('tells whether a time opens a bar', () => {
    expect(isOnBoundary(utc('2024-03-05T10:05:00Z'), '5m')).toBe(true);
    expect(isOnBoundary(utc('2024-03-05T10:06:00Z'), '5m')).toBe(false);
  });
});
