/**
 * The worker's market clock (shared/time/market-clock.ts): the wall clock until the market's
 * time arrives, then the market's time flowing at the wall clock's pace; only forward; blind
 * to garbage.
 */
import { describe, expect, it } from 'vitest';
import { createMarketClock, parseMarketTime } from '../../../shared/time/market-clock.ts';

/** A wall clock the test moves by hand. */
function wall(start = 1_000_000) {
  let now = start;
  return {
    read: () => now,
    pass: (ms: number) => {
      now += ms;
    },
  };
}

describe('the market clock', () => {
  it('reads the wall clock until it is given a market time', () => {
    const w = wall();
    const clock = createMarketClock(w.read);
    expect(clock.now()).toBe(1_000_000);
    w.pass(250);
    expect(clock.now()).toBe(1_000_250);
  });

  it('jumps to a market time ahead of it, then keeps flowing from there at the wall clock pace', () => {
    const w = wall();
    const clock = createMarketClock(w.read);
    expect(clock.advance('5000000')).toBe(true);
    expect(clock.now()).toBe(5_000_000);
    w.pass(1_500);
    expect(clock.now()).toBe(5_001_500);
    expect(clock.advance(9_000_000)).toBe(true);
    w.pass(10);
    expect(clock.now()).toBe(9_000_010);
  });

  it('never goes backwards: a market time behind it is ignored', () => {
    const w = wall();
    const clock = createMarketClock(w.read);
    clock.advance('5000000');
    w.pass(2_000);
    // At "max" speed the market stands still between candles while the worker drains.
    expect(clock.advance('5000000')).toBe(false);
    expect(clock.advance('5001999')).toBe(false);
    expect(clock.now()).toBe(5_002_000);
  });

  it('never goes backwards when the wall clock is stepped back', () => {
    const w = wall();
    const clock = createMarketClock(w.read);
    clock.advance(5_000_000);
    w.pass(-60_000);
    expect(clock.now()).toBe(5_000_000);
    w.pass(60_500);
    expect(clock.now()).toBe(5_000_500);
  });

  it.each([
    ['no header', null],
    ['undefined', undefined],
    ['empty', ''],
    ['words', 'tomorrow'],
    ['a date string', '2030-01-01T00:00:00Z'],
    ['a fraction', '5000000.5'],
    ['an exponent', '5e9'],
    ['a sign', '-5000000'],
    ['padding', ' 5000000'],
    ['zero', '0'],
    ['beyond what a Date holds', '9000000000000000'],
    ['a huge number', '99999999999999999999'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a fractional number', 5_000_000.5],
  ])('ignores garbage (%s)', (_, value) => {
    const w = wall();
    const clock = createMarketClock(w.read);
    expect(clock.advance(value)).toBe(false);
    expect(clock.now()).toBe(1_000_000);
  });

  it('parses plain whole milliseconds, as the stack sends them', () => {
    expect(parseMarketTime(String(Date.UTC(2030, 0, 1)))).toBe(Date.UTC(2030, 0, 1));
    expect(parseMarketTime(1)).toBe(1);
    expect(parseMarketTime('8640000000000000')).toBe(8.64e15);
  });

  it('follows the real clock by default', () => {
    const clock = createMarketClock();
    const before = Date.now();
    const read = clock.now();
    expect(read).toBeGreaterThanOrEqual(before);
    expect(read).toBeLessThanOrEqual(Date.now());
  });
});
