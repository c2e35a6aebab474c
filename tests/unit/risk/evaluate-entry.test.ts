import { describe, expect, it } from 'vitest';
import {
  type EntryDecision,
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
    expect(evaluateEntry(facts())).toEqual({
      kind: 'allow',
      side: 'buy',
      amount: '1',
      notional: '100',
      referencePrice: '100',
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
