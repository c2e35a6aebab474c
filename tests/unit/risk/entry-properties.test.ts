/**
 * Property tests: random streams of signals, fills, closes with P&L and day changes, replayed
 * against a pure model of one user's book (two traders on one account). Each new signal is
 * judged by evaluateEntry on the facts the model derives exactly as readEntryState does; an
 * allowed entry joins the book. Whatever the stream, the engine never lets the book exceed
 * max positions or the max position notional, never opens a second exposure on one symbol, and
 * never allows an entry once the day's realised loss reached a limit.
 *
 * Then single entries on random markets (lot steps, fees, prices, sizes): an allowed long whose
 * fee is taken in the base asset never leaves an unsellable remainder worth more than the limit,
 * the remainder the engine expects is the one the venue would leave, and the buy never gives up
 * a sellable step nor pays for more dust than it must.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Dec, type DecimalLike, dec, roundAmountToStep } from '../../../shared/money/decimal.ts';
import {
  type EntryDecision,
  type EntryFacts,
  type EntryFee,
  evaluateEntry,
  fitToLot,
  type LotFacts,
  type SignalSide,
  sizeEntry,
  startOfUtcDay,
} from '../../../shared/risk/index.ts';
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
        // The book's properties are about the state rules; the dust rule has its own below.
        entryFee: { rate: '0.001', buyFeeAsset: 'quote' },
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

/** One entry on a random market: the lot step, minimums, fee, price, size and dust limit all vary. */
interface Entry {
  step: string;
  minNotional: string | null;
  price: string;
  fee: EntryFee;
  side: SignalSide;
  sizing: { rule: 'fixed_quote' | 'percent_equity' | 'risk_percent'; value: string };
  maxDustBps: number;
}

/** 1, 2 or 5 × 10^e: the lot steps exchanges use, from 0.00000001 to 10. */
const steps = fc
  .tuple(fc.constantFrom(1, 2, 5), fc.integer({ min: -8, max: 1 }))
  .map(([m, e]) => dec(m).mul(dec(10).pow(e)).toFixed());

/** Prices from 0.0001 to 100 000 with up to 4 decimals, spread over every order of magnitude. */
const prices = fc
  .tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: -4, max: 5 }))
  .map(([m, e]) => dec(m).mul(dec(10).pow(e)).toDecimalPlaces(4).toFixed())
  .filter((p) => dec(p).gt(0));

const entries = fc.record<Entry>({
  step: steps,
  minNotional: fc.constantFrom(null, '1', '5', '10'),
  price: prices,
  fee: fc.record<EntryFee>({
    rate: fc.integer({ min: 0, max: 75 }).map((n) => dec(n).div(10_000).toFixed()),
    buyFeeAsset: fc.constantFrom('base', 'base', 'quote', 'other'),
  }),
  side: fc.constantFrom('long', 'long', 'short'),
  sizing: fc.oneof(
    fc.record({ rule: fc.constant('fixed_quote' as const), value: money(1, 20_000) }),
    fc.record({ rule: fc.constant('percent_equity' as const), value: money(1, 100) }),
    fc.record({ rule: fc.constant('risk_percent' as const), value: money(1, 5) }),
  ),
  maxDustBps: fc.integer({ min: 0, max: 1000 }),
});

function entryFacts(e: Entry): EntryFacts {
  const [base, quote] = ['COIN', 'USDT'];
  const long = e.side === 'long';
  const stop = dec(e.price)
    .mul(long ? 90 : 110)
    .div(100)
    .toFixed();
  return facts({
    signal: { symbol: `${base}/${quote}`, side: e.side, stopLoss: stop },
    trader: { sizingRule: e.sizing.rule, sizingValue: e.sizing.value },
    limits: { maxDustBps: e.maxDustBps },
    market: {
      market: {
        symbol: `${base}/${quote}`,
        base,
        quote,
        amountStep: e.step,
        priceTick: '0.0001',
        minAmount: e.step,
        minNotional: e.minNotional,
        nativeStopLoss: true,
        nativeTakeProfit: true,
        reduceOnly: false,
      },
      last: e.price,
      bid: e.price,
      ask: e.price,
      equity: '20000',
      freeQuote: '1000000000',
      freeBase: '1000000000000',
      entryFee: e.fee,
    },
  });
}

/** What the venue leaves: held after the fee, minus what an exit order (step, minimums) can sell. */
function venueDust(e: Entry, amount: DecimalLike): Dec {
  const feeInBase = e.side === 'long' && e.fee.buyFeeAsset === 'base';
  const held = feeInBase ? dec(amount).mul(dec(1).minus(e.fee.rate)) : dec(amount);
  const sellable = roundAmountToStep(held, e.step);
  const tooSmall = sellable.lt(e.step) || (e.minNotional !== null && sellable.mul(e.price).lt(e.minNotional));
  return tooSmall ? held : held.minus(sellable);
}

const placed = (d: EntryDecision) => (d.kind === 'allow' || d.kind === 'await_confirmation' ? d : null);

describe('random markets: the unsellable remainder after the fee', () => {
  it('never allow a long whose expected dust is worth more than max_dust_bps of its notional', () => {
    fc.assert(
      fc.property(entries, (e) => {
        const d = placed(evaluateEntry(entryFacts(e)));
        if (!d) return;
        const limit = dec(d.notional).mul(e.maxDustBps).div(10_000);
        expect(dec(d.dust.notional).lte(limit)).toBe(true);
        // …and the dust expected is the dust the venue would leave for that buy
        expect(dec(d.dust.amount).eq(venueDust(e, d.amount))).toBe(true);
        expect(dec(d.dust.notional).eq(dec(d.dust.amount).mul(d.referencePrice))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('expect no dust from a short or from a fee not taken in the base asset', () => {
    fc.assert(
      fc.property(entries, (e) => {
        const d = placed(evaluateEntry(entryFacts(e)));
        if (!d || (e.side === 'long' && e.fee.buyFeeAsset === 'base')) return;
        expect(d.dust).toEqual({ amount: '0', notional: '0' });
      }),
      { numRuns: 1000 },
    );
  });

  it('fit the buy to the lot without giving up a sellable step or paying for avoidable dust', () => {
    fc.assert(
      fc.property(entries, (e) => {
        const sized = sizeEntry({
          rule: e.sizing.rule,
          value: e.sizing.value,
          equity: '20000',
          price: e.price,
          stopLoss: entryFacts(e).signal.stopLoss,
          side: e.side,
        });
        if (sized.kind !== 'sized') return;
        const lot: LotFacts = {
          amountStep: e.step,
          minAmount: e.step,
          minNotional: e.minNotional,
          fee: e.fee,
        };
        const fit = fitToLot(sized.amount, e.price, e.side, lot);
        const most = roundAmountToStep(sized.amount, e.step);
        const amount = dec(fit.amount);
        const keep = e.side === 'long' && e.fee.buyFeeAsset === 'base' ? dec(1).minus(e.fee.rate) : dec(1);
        const sellable = (a: Dec) => roundAmountToStep(a.mul(keep), e.step);
        // on the grid, never above what was sized
        expect(amount.mod(e.step).isZero()).toBe(true);
        expect(amount.lte(most)).toBe(true);
        // as much sellable as the sized amount rounded down would give…
        expect(sellable(amount).eq(sellable(most))).toBe(true);
        // …by the smallest buy that gives it: one step less sells less
        if (amount.gt(0) && sellable(amount).gt(0))
          expect(sellable(amount.minus(e.step)).lt(sellable(amount))).toBe(true);
        expect(dec(fit.dust).gte(0)).toBe(true);
        // an order the exchange takes leaves what the venue would leave
        const orderable = amount.gt(0) && (e.minNotional === null || amount.mul(e.price).gte(e.minNotional));
        if (orderable) expect(dec(fit.dust).eq(venueDust(e, amount))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('are not vacuous: some longs allowed with dust, some refused for it, most entries allowed', () => {
    let judged = 0;
    let allowed = 0;
    let allowedWithDust = 0;
    let refusedForDust = 0;
    fc.assert(
      fc.property(entries, (e) => {
        const decision = evaluateEntry(entryFacts(e));
        judged += 1;
        const entry = placed(decision);
        if (entry) allowed += 1;
        if (entry && dec(entry.dust.amount).gt(0)) allowedWithDust += 1;
        if (decision.kind === 'reject' && decision.violations.some((v) => v.rule === 'dust'))
          refusedForDust += 1;
      }),
      { numRuns: 1000, seed: 7 },
    );
    expect(allowedWithDust).toBeGreaterThan(judged * 0.1);
    expect(refusedForDust).toBeGreaterThan(judged * 0.02);
    expect(allowed / judged).toBeGreaterThan(0.3);
  });
});
