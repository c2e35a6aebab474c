import { describe, expect, it } from 'vitest';
import type { MarketInfo } from '../../../shared/exchange/port.ts';
import {
  ASSUMED_ENTRY_FEE,
  checkEntryState,
  type EntryDecision,
  type EntryFacts,
  entryFeeOf,
  evaluateEntry,
  nextUtcMidnight,
  startOfUtcDay,
} from '../../../shared/risk/index.ts';
import { facts, NOW } from './builders.ts';

const reasons = (decision: EntryDecision) => (decision.kind === 'reject' ? decision.reasons : []);
const rules = (decision: EntryDecision) =>
  decision.kind === 'reject' ? decision.violations.map((v) => v.rule) : [];

describe('an entry every rule allows', () => {
  it('buys 100 USDT of BTC at 100: 1 BTC, notional 100', () => {
    // the 0.1 % fee taken in BTC leaves 0.999 BTC: a multiple of the 0.001 step, no dust
    expect(evaluateEntry(facts())).toEqual({
      kind: 'allow',
      side: 'buy',
      amount: '1',
      notional: '100',
      referencePrice: '100',
      dust: { amount: '0', notional: '0' },
    });
  });

  it('sells for a short, sized at the bid', () => {
    const decision = evaluateEntry(
      facts({ signal: { side: 'short' }, market: { bid: '99.5', ask: '100.5', freeBase: '5' } }),
    );
    // 100 / 99.5 = 1.00502… → 1.005 at the 0.001 step; notional 1.005 × 99.5 = 99.9975
    expect(decision).toEqual({
      kind: 'allow',
      side: 'sell',
      amount: '1.005',
      notional: '99.9975',
      referencePrice: '99.5',
      dust: { amount: '0', notional: '0' },
    });
  });

  it('sizes at the signal’s entry price when it has one', () => {
    expect(evaluateEntry(facts({ signal: { entryPrice: '100.5' } }))).toMatchObject({
      amount: '0.995', // 100 / 100.5 = 0.99502… rounded down
      referencePrice: '100.5',
    });
  });

  it('sizes by risk: 1 % of 10 000 over a 4-point stop is 25 BTC at 100', () => {
    const decision = evaluateEntry(
      facts({ trader: { sizingRule: 'risk_percent', sizingValue: '1' }, signal: { stopLoss: '96' } }),
    );
    expect(decision).toEqual({
      kind: 'allow',
      side: 'buy',
      amount: '25',
      notional: '2500',
      referencePrice: '100',
      dust: { amount: '0', notional: '0' },
    });
  });

  it('sizes by equity: 2.5 % of 8 000 USDT at 100 is 2 BTC', () => {
    const decision = evaluateEntry(
      facts({ trader: { sizingRule: 'percent_equity', sizingValue: '2.5' }, market: { equity: '8000' } }),
    );
    expect(decision).toMatchObject({ kind: 'allow', amount: '2', notional: '200' });
  });
});

describe('the rules, one by one', () => {
  it('refuses while the user’s kill switch is engaged', () => {
    const decision = evaluateEntry(facts({ killSwitches: { user: { reason: 'emergency stop' } } }));
    expect(reasons(decision)).toEqual([
      "The user's kill switch is engaged (emergency stop); no new entries.",
    ]);
  });

  it('refuses while the trader’s kill switch is engaged', () => {
    const decision = evaluateEntry(facts({ killSwitches: { trader: { reason: null } } }));
    expect(reasons(decision)).toEqual(["Trader 7 (Momentum)'s kill switch is engaged; no new entries."]);
  });

  it('refuses while the trader is halted, and allows again once the halt has passed', () => {
    const until = nextUtcMidnight(NOW);
    const halted = evaluateEntry(facts({ trader: { haltedUntil: until, haltReason: 'daily loss limit' } }));
    expect(reasons(halted)).toEqual([
      'Trader 7 (Momentum) is halted until 2026-01-16T00:00:00.000Z (daily loss limit).',
    ]);
    expect(evaluateEntry(facts({ now: until, trader: { haltedUntil: until } })).kind).toBe('allow');
  });

  it('refuses a symbol outside the trader’s allowed symbols; an empty list allows all', () => {
    const decision = evaluateEntry(facts({ trader: { allowedSymbols: ['ETH/USDT', 'SOL/USDT'] } }));
    expect(reasons(decision)).toEqual([
      "BTC/USDT is not among Trader 7 (Momentum)'s allowed symbols (ETH/USDT, SOL/USDT).",
    ]);
    expect(evaluateEntry(facts({ trader: { allowedSymbols: ['BTC/USDT'] } })).kind).toBe('allow');
  });

  it('refuses a fourth position when the trader allows 3', () => {
    const decision = evaluateEntry(facts({ exposure: { openPositions: 3 } }));
    expect(reasons(decision)).toEqual([
      'Trader 7 (Momentum) already has 3 open or opening positions; its limit is 3 (traders.max_positions 3).',
    ]);
    expect(evaluateEntry(facts({ exposure: { openPositions: 2 } })).kind).toBe('allow');
  });

  it('takes the stricter of max_positions and max_open_positions', () => {
    const decision = evaluateEntry(
      facts({ exposure: { openPositions: 1 }, limits: { maxOpenPositions: 1 } }),
    );
    expect(reasons(decision)).toEqual([
      'Trader 7 (Momentum) already has 1 open or opening position; its limit is 1 (traders.max_positions 3, risk_parameters.max_open_positions 1).',
    ]);
    expect(
      evaluateEntry(
        facts({
          exposure: { openPositions: 1 },
          limits: { maxOpenPositions: 5 },
          trader: { maxPositions: 1 },
        }),
      ).kind,
    ).toBe('reject');
  });

  it('refuses an entry above the max position notional, never shrinking it', () => {
    const decision = evaluateEntry(
      facts({ trader: { sizingValue: '600' }, limits: { maxPositionNotional: '500' } }),
    );
    expect(reasons(decision)).toEqual([
      'The entry notional 600 USDT is above the max position notional of 500 USDT.',
    ]);
    expect(
      evaluateEntry(facts({ trader: { sizingValue: '500' }, limits: { maxPositionNotional: '500' } })).kind,
    ).toBe('allow');
  });

  it('refuses an entry above the account’s max order notional', () => {
    const decision = evaluateEntry(facts({ account: { maxOrderNotional: '50' } }));
    expect(reasons(decision)).toEqual([
      "The entry notional 100 USDT is above account 3's max order notional of 50 USDT.",
    ]);
  });

  it('blocks at a trader loss equal to its daily limit, not one cent before', () => {
    const at = evaluateEntry(
      facts({ trader: { dailyLossLimit: '200' }, exposure: { traderRealizedPnlToday: '-200' } }),
    );
    expect(reasons(at)).toEqual([
      "Trader 7 (Momentum)'s realised P&L today (UTC) is -200, at or beyond its daily loss limit of 200.",
    ]);
    const before = evaluateEntry(
      facts({ trader: { dailyLossLimit: '200' }, exposure: { traderRealizedPnlToday: '-199.99' } }),
    );
    expect(before.kind).toBe('allow');
  });

  it('takes the stricter of the trader’s two daily loss limits', () => {
    const decision = evaluateEntry(
      facts({
        trader: { dailyLossLimit: '200' },
        limits: { traderDailyLossLimit: '50' },
        exposure: { traderRealizedPnlToday: '-60' },
      }),
    );
    expect(reasons(decision)).toEqual([
      "Trader 7 (Momentum)'s realised P&L today (UTC) is -60, at or beyond its daily loss limit of 50.",
    ]);
  });

  it('blocks every trader of a user whose total loss today reached the user’s limit', () => {
    const decision = evaluateEntry(
      facts({ limits: { userDailyLossLimit: '1000' }, exposure: { userRealizedPnlToday: '-1250.5' } }),
    );
    expect(reasons(decision)).toEqual([
      "The user's realised P&L today (UTC) is -1250.5, at or beyond the user's daily loss limit of 1000.",
    ]);
  });

  it('refuses a second exposure on the same account and symbol', () => {
    const decision = evaluateEntry(facts({ exposure: { symbolExposure: 'an open long position of 0.5' } }));
    expect(reasons(decision)).toEqual([
      'Account 3 already has exposure on BTC/USDT: an open long position of 0.5.',
    ]);
  });

  it('refuses when the entry price is further from the last price than the max slippage', () => {
    // |101.5 − 100| / 100 = 150 bps > 100 bps
    const decision = evaluateEntry(facts({ signal: { entryPrice: '101.5' } }));
    expect(reasons(decision)).toEqual([
      'The entry reference price 101.5 is 150 bps from the last price 100, beyond the max slippage of 100 bps.',
    ]);
    expect(evaluateEntry(facts({ signal: { entryPrice: '101' } })).kind).toBe('allow'); // exactly 100 bps
  });

  it('refuses a market buy when the ask is too far from the last price (a wide spread)', () => {
    const decision = evaluateEntry(facts({ market: { ask: '100.6' }, limits: { maxSlippageBps: 50 } }));
    expect(rules(decision)).toEqual(['price_sanity']);
  });

  it('refuses a stop-loss or take-profit on the wrong side of the entry', () => {
    const decision = evaluateEntry(facts({ signal: { stopLoss: '101', takeProfit: '99' } }));
    expect(reasons(decision)).toEqual([
      'The stop-loss 101 must be below the entry reference price 100 for a long.',
      'The take-profit 99 must be above the entry reference price 100 for a long.',
    ]);
  });

  it('rounds the amount down to the step', () => {
    // 100 / 3 = 33.333… → 33.333 BTC; notional 33.333 × 3 = 99.999
    const decision = evaluateEntry(facts({ market: { last: '3', bid: '3', ask: '3' } }));
    expect(decision).toMatchObject({ kind: 'allow', amount: '33.333', notional: '99.999' });
  });

  it('refuses an amount the step rounds below the exchange’s minimum amount', () => {
    // 0.15 USDT at 100 = 0.0015 BTC → 0.001 at the step 0.001, below the minimum 0.002
    const input = facts({ trader: { sizingValue: '0.15' } });
    input.market.market = { ...input.market.market, minAmount: '0.002', minNotional: null };
    const decision = evaluateEntry(input);
    expect(reasons(decision)).toEqual([
      "The entry amount 0.001 BTC (0.0015 BTC rounded down to the step 0.001) is below the exchange's minimum amount of 0.002 BTC.",
    ]);
  });

  it('refuses an amount that rounds down to nothing', () => {
    const decision = evaluateEntry(facts({ trader: { sizingValue: '0.05' } }));
    expect(reasons(decision)).toEqual([
      'The entry amount is 0 BTC (0.0005 BTC rounded down to the step 0.001).',
    ]);
  });

  it('refuses a notional below the exchange’s minimum notional', () => {
    const decision = evaluateEntry(facts({ trader: { sizingValue: '4' } }));
    expect(reasons(decision)).toEqual([
      "The entry notional 4 USDT (0.04 BTC at 100) is below the exchange's minimum notional of 5 USDT.",
    ]);
  });

  it('refuses a buy larger than the free quote balance', () => {
    const decision = evaluateEntry(facts({ market: { freeQuote: '80' } }));
    expect(reasons(decision)).toEqual(['The entry needs 100 USDT and the account has 80 USDT free.']);
  });

  it('refuses a spot short without the base to sell', () => {
    const decision = evaluateEntry(facts({ signal: { side: 'short' } }));
    expect(reasons(decision)).toEqual([
      'A short on the spot market sells 1 BTC and the account has 0 BTC free.',
    ]);
  });

  it('refuses a signal that is not ready', () => {
    expect(reasons(evaluateEntry(facts({ signal: { status: 'cancelled' } })))).toEqual([
      'Signal 42 is cancelled; only a ready signal may place its entry.',
    ]);
  });

  it('refuses on a disabled account', () => {
    expect(rules(evaluateEntry(facts({ account: { status: 'disabled' } })))).toEqual(['account']);
  });

  it('refuses risk sizing without a stop-loss, saying why', () => {
    const decision = evaluateEntry(facts({ trader: { sizingRule: 'risk_percent', sizingValue: '1' } }));
    expect(reasons(decision)).toEqual([
      'Sizing by risk_percent (1% of equity) needs a stop-loss, and the signal has none.',
    ]);
  });

  it('lists every reason that applies, not only the first', () => {
    const decision = evaluateEntry(
      facts({
        killSwitches: { user: { reason: null } },
        exposure: { openPositions: 3 },
        market: { freeQuote: '1' },
      }),
    );
    expect(rules(decision)).toEqual(['kill_switch', 'max_positions', 'balance']);
  });
});

describe('the unsellable remainder after a fee taken in the base asset', () => {
  const XRP: MarketInfo = {
    symbol: 'XRP/USDT',
    base: 'XRP',
    quote: 'USDT',
    amountStep: '1',
    priceTick: '0.01',
    minAmount: '1',
    minNotional: '5',
    nativeStopLoss: true,
    nativeTakeProfit: true,
    reduceOnly: false,
  };
  /** 1000 USDT of XRP/USDT (lot step 1) at 100, Binance's fee (0.1 % in XRP on a buy). */
  const xrp = (
    overrides: { maxDustBps?: number; buyFeeAsset?: 'base' | 'quote'; side?: 'long' | 'short' } = {},
  ) =>
    facts({
      signal: { symbol: 'XRP/USDT', side: overrides.side ?? 'long' },
      trader: { sizingValue: '1000' },
      limits: { maxDustBps: overrides.maxDustBps ?? 100 },
      market: {
        market: XRP,
        freeBase: '50',
        entryFee: { rate: '0.001', buyFeeAsset: overrides.buyFeeAsset ?? 'base' },
      },
    });

  it('refuses XRP at step 1 and price 100: 0.99 XRP (99 USDT) would stay unsellable, above 1 % of 1000 USDT', () => {
    const decision = evaluateEntry(xrp());
    expect(rules(decision)).toEqual(['dust']);
    expect(reasons(decision)).toEqual([
      'The unsellable remainder after the fee (0.99 XRP, about 99 USDT) would exceed 1% of the entry notional 1000 USDT (10 USDT, risk_parameters.max_dust_bps 100): a buy of 10 XRP holds 9.99 XRP after the 0.1% fee taken in XRP, and an exit can sell only 9 XRP at the lot step of 1.',
    ]);
  });

  it('allows a fine-step BTC entry (step 0.00001 at 60 000): its remainder is worth 0.2 USDT, 0.02 %', () => {
    const decision = evaluateEntry(
      facts({
        trader: { sizingValue: '1000' },
        market: {
          market: { ...facts().market.market, amountStep: '0.00001', minAmount: '0.00001' },
          last: '60000',
          bid: '60000',
          ask: '60000',
        },
      }),
    );
    expect(decision).toEqual({
      kind: 'allow',
      side: 'buy',
      amount: '0.01666',
      notional: '999.6',
      referencePrice: '60000',
      dust: { amount: '0.00000334', notional: '0.2004' },
    });
  });

  it('allows the same XRP entry when the fee is taken in the quote asset: nothing is left behind', () => {
    expect(evaluateEntry(xrp({ buyFeeAsset: 'quote' }))).toEqual({
      kind: 'allow',
      side: 'buy',
      amount: '10',
      notional: '1000',
      referencePrice: '100',
      dust: { amount: '0', notional: '0' },
    });
  });

  it('allows the same XRP market for a short: a sell pays its fee in quote', () => {
    expect(evaluateEntry(xrp({ side: 'short' }))).toMatchObject({
      kind: 'allow',
      side: 'sell',
      amount: '10',
      dust: { amount: '0', notional: '0' },
    });
  });

  it('allows a remainder worth exactly the limit, and refuses it one basis point below', () => {
    // 99 USDT of 1000 USDT is 990 bps
    expect(evaluateEntry(xrp({ maxDustBps: 990 }))).toMatchObject({
      kind: 'allow',
      amount: '10',
      dust: { amount: '0.99', notional: '99' },
    });
    expect(rules(evaluateEntry(xrp({ maxDustBps: 989 })))).toEqual(['dust']);
  });

  it('with a limit of 0 bps refuses any remainder, and still allows an entry that leaves none', () => {
    expect(rules(evaluateEntry(xrp({ maxDustBps: 0 })))).toEqual(['dust']);
    // 100 USDT of BTC at 100 (step 0.001): 1 BTC holds 0.999, a whole number of steps
    expect(evaluateEntry(facts({ limits: { maxDustBps: 0 } }))).toMatchObject({ kind: 'allow', amount: '1' });
  });

  it('refuses an entry at the minimum notional: what the fee leaves cannot be sold at all', () => {
    const decision = evaluateEntry(facts({ trader: { sizingValue: '5' } }));
    expect(reasons(decision)).toEqual([
      "The unsellable remainder after the fee (0.04995 BTC, about 4.995 USDT) would exceed 1% of the entry notional 5 USDT (0.05 USDT, risk_parameters.max_dust_bps 100): a buy of 0.05 BTC holds 0.04995 BTC after the 0.1% fee taken in BTC, and no exit can sell any of it: 0.049 BTC at the lot step of 0.001 is worth 4.9 USDT, below the exchange's minimum notional of 5 USDT.",
    ]);
  });

  it('buys one step less than the rounding when that step would only add dust', () => {
    // 100.1 USDT at 100 = 1.001 BTC; 1.001 holds 0.999999 and sells 0.999, as 1 BTC does with no dust
    expect(evaluateEntry(facts({ trader: { sizingValue: '100.1' } }))).toMatchObject({
      kind: 'allow',
      amount: '1',
      notional: '100',
      dust: { amount: '0', notional: '0' },
    });
  });

  it('says so when the step it left out brings the amount below the exchange’s minimum', () => {
    const input = facts({ trader: { sizingValue: '100.1' } });
    input.market.market = { ...input.market.market, minAmount: '1.001' };
    expect(reasons(evaluateEntry(input))).toEqual([
      "The entry amount 1 BTC (1.001 BTC rounded down to the step 0.001, less what would only have been left unsellable after the fee) is below the exchange's minimum amount of 1.001 BTC.",
    ]);
  });

  it('gives the dust reason once, besides the other rules, and none for an order the exchange refuses', () => {
    const withOthers = { ...xrp(), limits: { ...xrp().limits, maxPositionNotional: '500' } } as EntryFacts;
    expect(rules(evaluateEntry(withOthers))).toEqual(['max_notional', 'dust']);
    // 4 USDT: below the exchange's minimum notional, which is the only reason
    expect(rules(evaluateEntry(facts({ trader: { sizingValue: '4' } })))).toEqual(['exchange_minimums']);
  });

  it('assumes the worst when the venue does not describe its fee: 0.1 % taken from the base', () => {
    const market = facts().market.market;
    expect(entryFeeOf(market)).toEqual(ASSUMED_ENTRY_FEE);
    expect(ASSUMED_ENTRY_FEE).toEqual({ rate: '0.001', buyFeeAsset: 'base' });
    expect(
      entryFeeOf({ ...market, fees: { maker: '0.0002', taker: '0.0005', buyFeeAsset: 'quote' } }),
    ).toEqual({
      rate: '0.0005',
      buyFeeAsset: 'quote',
    });
  });

  it('is re-checked by the in-transaction rules with the plan’s expected dust, against the limit read then', () => {
    const state = xrp({ maxDustBps: 100 });
    const order = { amount: '10', referencePrice: '100', quote: 'USDT', dust: '0.99' };
    expect(checkEntryState(state, order).map((v) => v.reason)).toEqual([
      'The unsellable remainder after the fee (0.99 XRP, about 99 USDT) would exceed 1% of the entry notional 1000 USDT (10 USDT, risk_parameters.max_dust_bps 100).',
    ]);
    expect(checkEntryState({ ...state, limits: { ...state.limits, maxDustBps: 990 } }, order)).toEqual([]);
    const { dust: _dust, ...withoutDust } = order;
    expect(checkEntryState(state, withoutDust)).toEqual([]);
  });
});

describe('large-trade confirmation', () => {
  it('waits for confirmation above the threshold', () => {
    const decision = evaluateEntry(
      facts({ trader: { sizingValue: '2000' }, limits: { largeTradeThreshold: '1000' } }),
    );
    expect(decision).toEqual({
      kind: 'await_confirmation',
      side: 'buy',
      amount: '20',
      notional: '2000',
      referencePrice: '100',
      dust: { amount: '0', notional: '0' },
      reason:
        "The entry notional 2000 USDT is above the large-trade threshold of 1000 USDT; it waits for the user's confirmation.",
    });
  });

  it('goes ahead once the user confirmed, and at the threshold itself', () => {
    expect(
      evaluateEntry(
        facts({
          trader: { sizingValue: '2000' },
          limits: { largeTradeThreshold: '1000' },
          signal: { confirmedAt: NOW },
        }),
      ).kind,
    ).toBe('allow');
    expect(
      evaluateEntry(facts({ trader: { sizingValue: '1000' }, limits: { largeTradeThreshold: '1000' } })).kind,
    ).toBe('allow');
  });

  it('waits when the signal itself asks for confirmation', () => {
    expect(evaluateEntry(facts({ signal: { requiresConfirmation: true } })).kind).toBe('await_confirmation');
  });

  it('never asks to confirm an entry a rule refuses', () => {
    const decision = evaluateEntry(
      facts({
        trader: { sizingValue: '2000' },
        limits: { largeTradeThreshold: '1000', maxPositionNotional: '1500' },
      }),
    );
    expect(rules(decision)).toEqual(['max_notional']);
  });
});

describe('the UTC day', () => {
  it('starts at 00:00 UTC and the next one 24 hours later', () => {
    expect(new Date(startOfUtcDay(NOW)).toISOString()).toBe('2026-01-15T00:00:00.000Z');
    expect(new Date(nextUtcMidnight(NOW)).toISOString()).toBe('2026-01-16T00:00:00.000Z');
    expect(nextUtcMidnight(startOfUtcDay(NOW))).toBe(startOfUtcDay(NOW) + 86_400_000);
  });
});
