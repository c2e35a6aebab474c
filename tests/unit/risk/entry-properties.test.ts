/**
 * Property tests: random streams of signals, fills, closes with P&L and day changes, replayed
 * against a pure model of one user's book (two traders on one account). Each new signal is
 * judged by evaluateEntry on the facts the model derives exactly as readEntryState does; an
 * allowed entry joins the book. Whatever the stream, the engine never lets the book exceed
 * max positions or the max position notional, never opens a second exposure on one symbol, and
 * never allows an entry once the day's realised loss reached a limit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dec } from '../../../shared/money/decimal.ts';
import { type EntryFacts, evaluateEntry, startOfUtcDay } from '../../../shared/risk/index.ts';
import { facts, NOW } from './builders.ts';

const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT', 'ADA/USDT'];
const DAY = 86_400_000;

interface Config {
  maxPositions: [number, number];
  maxOpenPositions: number | null;
  maxPositionNotional: string | null;
  traderDailyLossLimit: [string | null, string | null];
  userDailyLossLimit: string | null;
  sizing: Array<{ rule: 'fixed_quote' | 'percent_equity' | 'risk_percent'; value: string }>;
}

type Event =
  | { kind: 'signal'; trader: 0 | 1; symbol: number; price: number; stopOffset: number }
  | { kind: 'fill'; pick: number }
  | { kind: 'reject_at_exchange'; pick: number }
  | { kind: 'close'; pick: number; pnl: number }
  | { kind: 'next_day' };

interface Exposure {
  signalId: number;
  trader: 0 | 1;
  symbol: string;
  notional: string;
  state: 'entry_live' | 'in_position';
}

const money = (min: number, max: number) =>
  fc.integer({ min: min * 100, max: max * 100 }).map((c) => (c / 100).toFixed(2));

/** Whole tens, so that sums of P&L land exactly on a limit often (the boundary is where bugs hide). */
const tens = (min: number, max: number) => fc.integer({ min, max }).map((n) => String(n * 10));

const configs = fc.record<Config>({
  maxPositions: fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })),
  maxOpenPositions: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
  maxPositionNotional: fc.option(money(50, 3000), { nil: null }),
  traderDailyLossLimit: fc.tuple(fc.option(tens(1, 8), { nil: null }), fc.option(tens(1, 8), { nil: null })),
  userDailyLossLimit: fc.option(tens(1, 15), { nil: null }),
  sizing: fc.tuple(
    fc.record({
      rule: fc.constantFrom('fixed_quote', 'percent_equity', 'risk_percent'),
      value: money(1, 40),
    }),
    fc.record({
      rule: fc.constantFrom('fixed_quote', 'percent_equity', 'risk_percent'),
      value: money(1, 40),
    }),
  ),
});

const events = fc.array(
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('signal' as const),
        trader: fc.constantFrom(0 as const, 1 as const),
        symbol: fc.integer({ min: 0, max: SYMBOLS.length - 1 }),
        price: fc.integer({ min: 1, max: 50_000 }),
        stopOffset: fc.integer({ min: 1, max: 20 }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('fill' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reject_at_exchange' as const), pick: fc.nat() }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('close' as const),
        pick: fc.nat(),
        pnl: fc.integer({ min: -5, max: 3 }).map((n) => n * 10),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('next_day' as const) }) },
  ),
  { minLength: 30, maxLength: 150 },
);

/** The book and the day's realised P&L, as the database would hold them. */
class Book {
  exposures: Exposure[] = [];
  pnl: [string, string] = ['0', '0'];
  now = NOW;
  nextSignal = 1;

  factsFor(config: Config, trader: 0 | 1, symbol: string, price: number, stopOffset: number): EntryFacts {
    const priceText = String(price);
    const sizing = config.sizing[trader]!;
    const mine = this.exposures.filter((e) => e.trader === trader);
    const onSymbol = this.exposures.find((e) => e.symbol === symbol);
    return facts({
      now: this.now,
      signal: {
        id: this.nextSignal,
        symbol,
        // a stop `stopOffset` % below the price keeps risk sizing defined
        stopLoss: dec(price)
          .mul(100 - stopOffset)
          .div(100)
          .toFixed(),
      },
      trader: {
        id: trader + 1,
        sizingRule: sizing.rule,
        sizingValue: sizing.value,
        maxPositions: config.maxPositions[trader],
        dailyLossLimit: config.traderDailyLossLimit[trader],
      },
      limits: {
        maxOpenPositions: config.maxOpenPositions,
        maxPositionNotional: config.maxPositionNotional,
        userDailyLossLimit: config.userDailyLossLimit,
      },
      exposure: {
        openPositions: mine.length,
        symbolExposure: onSymbol ? `signal ${onSymbol.signalId} holds it` : null,
        traderRealizedPnlToday: this.pnl[trader],
        userRealizedPnlToday: dec(this.pnl[0]).plus(this.pnl[1]).toFixed(),
      },
      market: {
        market: {
          symbol,
          base: symbol.split('/')[0]!,
          quote: 'USDT',
          amountStep: '0.0001',
          priceTick: '0.01',
          minAmount: '0.0001',
          minNotional: '5',
          nativeStopLoss: true,
          nativeTakeProfit: true,
          reduceOnly: false,
        },
        last: priceText,
        bid: priceText,
        ask: priceText,
        equity: '10000',
        freeQuote: '1000000',
      },
    });
  }

  pick(pick: number, state: Exposure['state']): Exposure | undefined {
    const candidates = this.exposures.filter((e) => e.state === state);
    return candidates[pick % Math.max(1, candidates.length)];
  }
}

function replay(
  config: Config,
  stream: Event[],
  onDecision: (book: Book, f: EntryFacts, allowed: boolean) => void,
) {
  const book = new Book();
  for (const event of stream) {
    if (event.kind === 'signal') {
      const symbol = SYMBOLS[event.symbol]!;
      const f = book.factsFor(config, event.trader, symbol, event.price, event.stopOffset);
      const decision = evaluateEntry(f);
      onDecision(book, f, decision.kind === 'allow');
      if (decision.kind === 'allow') {
        book.exposures.push({
          signalId: book.nextSignal,
          trader: event.trader,
          symbol,
          notional: decision.notional,
          state: 'entry_live',
        });
      }
      book.nextSignal += 1;
    } else if (event.kind === 'fill') {
      const e = book.pick(event.pick, 'entry_live');
      if (e) e.state = 'in_position';
    } else if (event.kind === 'reject_at_exchange') {
      const e = book.pick(event.pick, 'entry_live');
      if (e) book.exposures = book.exposures.filter((x) => x !== e);
    } else if (event.kind === 'close') {
      const e = book.pick(event.pick, 'in_position');
      if (e) {
        book.exposures = book.exposures.filter((x) => x !== e);
        book.pnl[e.trader] = dec(book.pnl[e.trader]).plus(event.pnl).toFixed();
      }
    } else {
      book.now = startOfUtcDay(book.now) + DAY;
      book.pnl = ['0', '0'];
    }
  }
  return book;
}

describe('random streams of signals, fills and P&L', () => {
  it('never hold more positions per trader than the stricter of its two limits', () => {
    fc.assert(
      fc.property(configs, events, (config, stream) => {
        replay(config, stream, (book, f, allowed) => {
          if (!allowed) return;
          const trader = f.trader.id - 1;
          const limit = Math.min(config.maxPositions[trader as 0 | 1], config.maxOpenPositions ?? Infinity);
          const after = book.exposures.filter((e) => e.trader === trader).length + 1;
          expect(after).toBeLessThanOrEqual(limit);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never allow an entry above the max position notional', () => {
    fc.assert(
      fc.property(configs, events, (config, stream) => {
        const book = replay(config, stream, () => {});
        for (const e of book.exposures) {
          if (config.maxPositionNotional !== null)
            expect(dec(e.notional).lte(config.maxPositionNotional)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never allow an entry once the day’s realised loss reached the trader’s or the user’s limit', () => {
    fc.assert(
      fc.property(configs, events, (config, stream) => {
        replay(config, stream, (book, f, allowed) => {
          if (!allowed) return;
          const trader = (f.trader.id - 1) as 0 | 1;
          const traderLimit = config.traderDailyLossLimit[trader];
          if (traderLimit !== null) expect(dec(book.pnl[trader]).gt(dec(traderLimit).neg())).toBe(true);
          if (config.userDailyLossLimit !== null) {
            const total = dec(book.pnl[0]).plus(book.pnl[1]);
            expect(total.gt(dec(config.userDailyLossLimit).neg())).toBe(true);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('allow a good share of the entries (the properties above are not vacuous)', () => {
    let allowed = 0;
    let judged = 0;
    fc.assert(
      fc.property(configs, events, (config, stream) => {
        replay(config, stream, (_book, _f, ok) => {
          judged += 1;
          if (ok) allowed += 1;
        });
      }),
      { numRuns: 200, seed: 4 },
    );
    expect(allowed / judged).toBeGreaterThan(0.1);
  });

  it('never hold two exposures on one symbol', () => {
    fc.assert(
      fc.property(configs, events, (config, stream) => {
        replay(config, stream, (book) => {
          const symbols = book.exposures.map((e) => e.symbol);
          expect(new Set(symbols).size).toBe(symbols.length);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('size every allowed entry on the exchange’s grid and above its minimums', () => {
    fc.assert(
      fc.property(configs, events, (config, stream) => {
        replay(config, stream, (_book, f, allowed) => {
          if (!allowed) return;
          const decision = evaluateEntry(f);
          if (decision.kind !== 'allow') throw new Error('evaluateEntry is not deterministic');
          const amount = dec(decision.amount);
          expect(amount.mod('0.0001').isZero()).toBe(true);
          expect(amount.gte('0.0001')).toBe(true);
          expect(dec(decision.notional).gte(5)).toBe(true);
          expect(dec(decision.notional).eq(amount.mul(decision.referencePrice))).toBe(true);
        });
      }),
      { numRuns: 200 },
    );
  });
});
