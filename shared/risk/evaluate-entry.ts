/**
 * The risk engine's decision for one entry: allow (with its size), reject (every reason that
 * applies, each a sentence naming the limit and the numbers), or await the user's confirmation
 * of a large trade. Pure: the same facts always give the same decision.
 *
 * Order of work: the state rules (kill switches, halt, symbols, positions, daily loss, exposure),
 * then the reference price and its sanity, sizing, rounding to the exchange's step and its
 * minimums, the notional limits and the balance. All reasons are collected so the user sees
 * every limit in the way at once. Only an entry no rule refuses can await confirmation.
 *
 * Policies worth stating:
 * - An entry above `max_position_notional` is refused, never shrunk: a silently smaller trade
 *   than the trader's sizing rule asked for is a surprise; the reason says which limit to raise.
 * - Max concurrent positions per trader is the stricter of traders.max_positions and
 *   risk_parameters.max_open_positions (the trader's row, else the user's).
 * - Daily realised loss: a loss at or beyond the limit blocks (P&L ≤ −limit), for the trader
 *   (stricter of traders.daily_loss_limit and its risk_parameters row) and for the user (the
 *   user's row, against the user's total across traders).
 * - Reference price: the signal's entry price when it has one, else the quote a market order
 *   takes (ask for a buy, bid for a sell, last when the venue gives no quote). Price sanity
 *   compares it with the last price: |reference − last| / last ≤ max_slippage_bps.
 */
import { type Dec, dec, roundAmountToStep, toDecimalString } from '../money/decimal.ts';
import {
  type EntryDecision,
  type EntryFacts,
  type EntryState,
  type MarketFacts,
  orderSideFor,
  type RiskViolation,
} from './facts.ts';
import { show, showTime } from './format.ts';
import { sizeEntry } from './sizing.ts';

export function evaluateEntry(facts: EntryFacts): EntryDecision {
  const violations = checkEntryState(facts);
  const { signal, market } = facts;
  const side = orderSideFor(signal.side);
  const reference = referencePrice(facts);
  violations.push(...checkPriceSanity(facts, reference), ...checkLevels(facts, reference));

  const sized = sizeEntry({
    rule: facts.trader.sizingRule,
    value: facts.trader.sizingValue,
    equity: market.equity,
    price: reference,
    stopLoss: signal.stopLoss,
    side: signal.side,
    quote: market.market.quote,
  });
  if (sized.kind === 'refused') {
    violations.push({ rule: 'sizing', reason: sized.reason });
    return reject(violations);
  }

  const rounded = roundAmountToStep(sized.amount, market.market.amountStep);
  violations.push(...checkExchangeMinimums(market, sized.amount, rounded, reference));
  const notional = rounded.mul(reference);
  if (rounded.gt(0)) {
    violations.push(...checkNotional(facts, notional, market.market.quote));
    violations.push(...checkBalance(facts, rounded, notional));
  }
  if (violations.length > 0) return reject(violations);

  const order = {
    side,
    amount: toDecimalString(rounded),
    notional: toDecimalString(notional),
    referencePrice: toDecimalString(reference),
  };
  const confirmation = confirmationNeeded(facts, notional);
  if (confirmation) return { kind: 'await_confirmation', ...order, reason: confirmation };
  return { kind: 'allow', ...order };
}

/**
 * The rules that depend only on database state, plus the notional limits when the order's
 * size and price are known: what the in-transaction guard re-checks (entry-guard.ts).
 */
export function checkEntryState(
  state: EntryState,
  order?: { amount: string; referencePrice: string; quote: string },
): RiskViolation[] {
  const { signal, trader, account, limits, killSwitches, exposure, now } = state;
  const out: RiskViolation[] = [];
  const who = `Trader ${trader.id} (${trader.name})`;

  if (signal.status !== 'ready') {
    out.push({
      rule: 'signal_status',
      reason: `Signal ${signal.id} is ${signal.status}; only a ready signal may place its entry.`,
    });
  }
  if (account.status !== 'active') {
    out.push({
      rule: 'account',
      reason: `Account ${account.id} is ${account.status}; it takes no new orders.`,
    });
  }
  if (killSwitches.user) {
    out.push({
      rule: 'kill_switch',
      reason: `The user's kill switch is engaged${because(killSwitches.user.reason)}; no new entries.`,
    });
  }
  if (killSwitches.trader) {
    out.push({
      rule: 'kill_switch',
      reason: `${who}'s kill switch is engaged${because(killSwitches.trader.reason)}; no new entries.`,
    });
  }
  if (trader.haltedUntil !== null && trader.haltedUntil > now) {
    out.push({
      rule: 'trader_halted',
      reason: `${who} is halted until ${showTime(trader.haltedUntil)}${because(trader.haltReason)}.`,
    });
  }
  if (trader.allowedSymbols.length > 0 && !trader.allowedSymbols.includes(signal.symbol)) {
    out.push({
      rule: 'allowed_symbols',
      reason: `${signal.symbol} is not among ${who}'s allowed symbols (${trader.allowedSymbols.join(', ')}).`,
    });
  }

  const maxPositions = Math.min(trader.maxPositions, limits.maxOpenPositions ?? Number.POSITIVE_INFINITY);
  if (exposure.openPositions >= maxPositions) {
    const sources = [`traders.max_positions ${trader.maxPositions}`];
    if (limits.maxOpenPositions !== null)
      sources.push(`risk_parameters.max_open_positions ${limits.maxOpenPositions}`);
    out.push({
      rule: 'max_positions',
      reason: `${who} already has ${exposure.openPositions} open or opening position${exposure.openPositions === 1 ? '' : 's'}; its limit is ${maxPositions} (${sources.join(', ')}).`,
    });
  }

  const traderLimit = stricterLimit(trader.dailyLossLimit, limits.traderDailyLossLimit);
  if (traderLimit && lossReached(exposure.traderRealizedPnlToday, traderLimit)) {
    out.push({
      rule: 'daily_loss',
      reason: `${who}'s realised P&L today (UTC) is ${show(exposure.traderRealizedPnlToday)}, at or beyond its daily loss limit of ${show(traderLimit)}.`,
    });
  }
  if (limits.userDailyLossLimit && lossReached(exposure.userRealizedPnlToday, limits.userDailyLossLimit)) {
    out.push({
      rule: 'daily_loss',
      reason: `The user's realised P&L today (UTC) is ${show(exposure.userRealizedPnlToday)}, at or beyond the user's daily loss limit of ${show(limits.userDailyLossLimit)}.`,
    });
  }
  if (exposure.symbolExposure) {
    out.push({
      rule: 'duplicate_exposure',
      reason: `Account ${account.id} already has exposure on ${signal.symbol}: ${exposure.symbolExposure}.`,
    });
  }
  if (order) {
    out.push(...checkNotional(state, dec(order.amount).mul(order.referencePrice), order.quote));
  }
  return out;
}

export function referencePrice(facts: EntryFacts): Dec {
  const { signal, market } = facts;
  if (signal.entryPrice !== null) return dec(signal.entryPrice);
  const quote = signal.side === 'long' ? market.ask : market.bid;
  return dec(quote ?? market.last);
}

function checkPriceSanity(facts: EntryFacts, reference: Dec): RiskViolation[] {
  const last = dec(facts.market.last);
  if (last.lte(0)) {
    return [{ rule: 'price_sanity', reason: `The last price of ${facts.signal.symbol} is ${show(last)}.` }];
  }
  const bps = reference.minus(last).abs().div(last).mul(10_000);
  if (bps.lte(facts.limits.maxSlippageBps)) return [];
  return [
    {
      rule: 'price_sanity',
      reason: `The entry reference price ${show(reference)} is ${show(bps.toDecimalPlaces(2))} bps from the last price ${show(last)}, beyond the max slippage of ${facts.limits.maxSlippageBps} bps.`,
    },
  ];
}

/** A stop or target on the wrong side of the entry would fire at once: refuse the signal instead. */
function checkLevels(facts: EntryFacts, reference: Dec): RiskViolation[] {
  const { signal } = facts;
  const out: RiskViolation[] = [];
  const long = signal.side === 'long';
  if (signal.stopLoss !== null) {
    const stop = dec(signal.stopLoss);
    if (long ? stop.gte(reference) : stop.lte(reference)) {
      out.push({
        rule: 'levels',
        reason: `The stop-loss ${show(stop)} must be ${long ? 'below' : 'above'} the entry reference price ${show(reference)} for a ${signal.side}.`,
      });
    }
  }
  if (signal.takeProfit !== null) {
    const target = dec(signal.takeProfit);
    if (long ? target.lte(reference) : target.gte(reference)) {
      out.push({
        rule: 'levels',
        reason: `The take-profit ${show(target)} must be ${long ? 'above' : 'below'} the entry reference price ${show(reference)} for a ${signal.side}.`,
      });
    }
  }
  return out;
}

function checkExchangeMinimums(
  market: MarketFacts,
  sized: string,
  rounded: Dec,
  reference: Dec,
): RiskViolation[] {
  const { base, quote, amountStep, minAmount, minNotional } = market.market;
  const asked = `${show(sized)} ${base} rounded down to the step ${show(amountStep)}`;
  if (rounded.lte(0)) {
    return [{ rule: 'exchange_minimums', reason: `The entry amount is 0 ${base} (${asked}).` }];
  }
  const out: RiskViolation[] = [];
  if (minAmount !== null && rounded.lt(minAmount)) {
    out.push({
      rule: 'exchange_minimums',
      reason: `The entry amount ${show(rounded)} ${base} (${asked}) is below the exchange's minimum amount of ${show(minAmount)} ${base}.`,
    });
  }
  const notional = rounded.mul(reference);
  if (minNotional !== null && notional.lt(minNotional)) {
    out.push({
      rule: 'exchange_minimums',
      reason: `The entry notional ${show(notional)} ${quote} (${show(rounded)} ${base} at ${show(reference)}) is below the exchange's minimum notional of ${show(minNotional)} ${quote}.`,
    });
  }
  return out;
}

function checkNotional(state: EntryState, notional: Dec, quote: string): RiskViolation[] {
  const out: RiskViolation[] = [];
  const { maxPositionNotional } = state.limits;
  if (maxPositionNotional !== null && notional.gt(maxPositionNotional)) {
    out.push({
      rule: 'max_notional',
      reason: `The entry notional ${show(notional)} ${quote} is above the max position notional of ${show(maxPositionNotional)} ${quote}.`,
    });
  }
  const { maxOrderNotional } = state.account;
  if (maxOrderNotional !== null && notional.gt(maxOrderNotional)) {
    out.push({
      rule: 'max_notional',
      reason: `The entry notional ${show(notional)} ${quote} is above account ${state.account.id}'s max order notional of ${show(maxOrderNotional)} ${quote}.`,
    });
  }
  return out;
}

/**
 * Spot only: a buy spends free quote, a sell needs free base. Derivatives (`BTC/USDT:USDT`) trade
 * on margin, whose rules are the venue's.
 */
function checkBalance(facts: EntryFacts, amount: Dec, notional: Dec): RiskViolation[] {
  const { market, signal } = facts;
  if (signal.symbol.includes(':')) return [];
  const { base, quote } = market.market;
  if (signal.side === 'long' && notional.gt(market.freeQuote)) {
    return [
      {
        rule: 'balance',
        reason: `The entry needs ${show(notional)} ${quote} and the account has ${show(market.freeQuote)} ${quote} free.`,
      },
    ];
  }
  if (signal.side === 'short' && amount.gt(market.freeBase)) {
    return [
      {
        rule: 'balance',
        reason: `A short on the spot market sells ${show(amount)} ${base} and the account has ${show(market.freeBase)} ${base} free.`,
      },
    ];
  }
  return [];
}

function confirmationNeeded(facts: EntryFacts, notional: Dec): string | null {
  const { signal, limits, market } = facts;
  if (signal.confirmedAt !== null) return null;
  const threshold = limits.largeTradeThreshold;
  if (threshold !== null && notional.gt(threshold)) {
    return `The entry notional ${show(notional)} ${market.market.quote} is above the large-trade threshold of ${show(threshold)} ${market.market.quote}; it waits for the user's confirmation.`;
  }
  if (signal.requiresConfirmation)
    return `Signal ${signal.id} requires the user's confirmation before its entry.`;
  return null;
}

function reject(violations: RiskViolation[]): EntryDecision {
  return { kind: 'reject', reasons: violations.map((v) => v.reason), violations };
}

function stricterLimit(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return dec(a).lte(b) ? a : b;
}

/** A loss at or beyond the limit: P&L ≤ −limit. */
export function lossReached(pnl: string, limit: string): boolean {
  return dec(pnl).lte(dec(limit).neg());
}

function because(reason: string | null): string {
  return reason ? ` (${reason})` : '';
}
