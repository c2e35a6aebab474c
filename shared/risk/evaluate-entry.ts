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
 * - Unsellable remainder ("dust"): where a buy's fee is taken in the base asset, what is held
 *   after the fee is not a multiple of the lot step, and the part below one step can never be
 *   sold (sizing.ts, fitToLot, sizes the buy so that this is as small as it can be). An entry
 *   whose expected dust is worth more than max_dust_bps of its notional (default 1 %) is
 *   refused: on a coarse lot step (XRP/USDT, step 1, at 100) it would be a whole lot's worth.
 *   At the limit itself the entry is allowed.
 */
import { type Dec, dec, roundAmountToStep, toDecimalString } from '../money/decimal.ts';
import {
  type EntryDecision,
  type EntryFacts,
  type EntryState,
  type MarketFacts,
  orderSideFor,
  type RiskLimits,
  type RiskViolation,
} from './facts.ts';
import { about, show, showTime } from './format.ts';
import { fitToLot, type LotFacts, type LotFit, sizeEntry } from './sizing.ts';

export function evaluateEntry(facts: EntryFacts): EntryDecision {
  const violations = checkEntryState(facts);
  const { signal, market } = facts;
  const side = orderSideFor(signal.side);
  const reference = referencePrice(facts);
  violations.push(...checkPriceSanity(facts, reference), ...checkLevels(facts, reference));

  const lot: LotFacts = {
    amountStep: market.market.amountStep,
    minAmount: market.market.minAmount,
    minNotional: market.market.minNotional,
    fee: market.entryFee,
    derivative: signal.symbol.includes(':'),
  };
  const sized = sizeEntry({
    rule: facts.trader.sizingRule,
    value: facts.trader.sizingValue,
    equity: market.equity,
    price: reference,
    stopLoss: signal.stopLoss,
    side: signal.side,
    quote: market.market.quote,
    lot,
  });
  if (sized.kind === 'refused') {
    violations.push({ rule: 'sizing', reason: sized.reason });
    return reject(violations);
  }

  const fit = sized.lot ?? fitToLot(sized.amount, reference, signal.side, lot);
  const amount = dec(fit.amount);
  const trimmed = amount.lt(roundAmountToStep(sized.amount, market.market.amountStep));
  const minimums = checkExchangeMinimums(market, sized.amount, amount, reference, trimmed);
  violations.push(...minimums);
  const notional = amount.mul(reference);
  if (amount.gt(0)) {
    violations.push(...checkNotional(facts, notional, market.market.quote));
    violations.push(...checkBalance(facts, amount, notional));
    // An entry the exchange would refuse leaves nothing behind: its dust is not worth a reason.
    if (minimums.length === 0) violations.push(...checkFittedDust(facts, fit, notional, reference));
  }
  if (violations.length > 0) return reject(violations);

  const order = {
    side,
    amount: toDecimalString(amount),
    notional: toDecimalString(notional),
    referencePrice: toDecimalString(reference),
    dust: { amount: fit.dust, notional: fit.dustNotional },
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
  order?: {
    amount: string;
    referencePrice: string;
    quote: string;
    /** The entry's expected unsellable amount in the base asset (EntryDecision.dust.amount): enables the dust limit. */
    dust?: string;
  },
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
    const notional = dec(order.amount).mul(order.referencePrice);
    out.push(...checkNotional(state, notional, order.quote));
    if (order.dust !== undefined) {
      const dust = dec(order.dust);
      const names = { base: baseOf(signal.symbol), quote: order.quote };
      out.push(...checkDust(limits, dust, dust.mul(order.referencePrice), notional, names));
    }
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
  trimmed: boolean,
): RiskViolation[] {
  const { base, quote, amountStep, minAmount, minNotional } = market.market;
  const less = trimmed ? ', less what would only have been left unsellable after the fee' : '';
  const asked = `${show(sized)} ${base} rounded down to the step ${show(amountStep)}${less}`;
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

/** The dust rule on a fitted entry, with how the remainder arises (see sizing.ts, fitToLot). */
function checkFittedDust(facts: EntryFacts, fit: LotFit, notional: Dec, reference: Dec): RiskViolation[] {
  const { base, quote, amountStep, minAmount, minNotional } = facts.market.market;
  const rate = `${show(dec(facts.market.entryFee.rate).mul(100))}%`;
  const bought = `a buy of ${show(fit.amount)} ${base} holds ${show(fit.held)} ${base} after the ${rate} fee taken in ${base}`;
  let how = `${bought}, and an exit can sell only ${show(fit.sellable)} ${base} at the lot step of ${show(amountStep)}`;
  if (dec(fit.sellable).isZero()) {
    const exit = roundAmountToStep(fit.held, amountStep);
    let why = `it is less than the lot step of ${show(amountStep)} ${base}`;
    if (exit.gt(0) && minAmount !== null && exit.lt(minAmount)) {
      why = `${show(exit)} ${base} at the lot step of ${show(amountStep)} is below the exchange's minimum amount of ${show(minAmount)} ${base}`;
    } else if (exit.gt(0) && minNotional !== null) {
      why = `${show(exit)} ${base} at the lot step of ${show(amountStep)} is worth ${show(exit.mul(reference))} ${quote}, below the exchange's minimum notional of ${show(minNotional)} ${quote}`;
    }
    how = `${bought}, and no exit can sell any of it: ${why}`;
  }
  return checkDust(facts.limits, dec(fit.dust), dec(fit.dustNotional), notional, { base, quote }, how);
}

/** Refuses an entry whose unsellable remainder is worth more than max_dust_bps of its notional. */
function checkDust(
  limits: RiskLimits,
  dust: Dec,
  dustNotional: Dec,
  notional: Dec,
  names: { base: string; quote: string },
  how?: string,
): RiskViolation[] {
  const limit = notional.mul(limits.maxDustBps).div(10_000);
  if (dustNotional.lte(limit)) return [];
  const { base, quote } = names;
  return [
    {
      rule: 'dust',
      reason: `The unsellable remainder after the fee (${show(dust)} ${base}, about ${about(dustNotional)} ${quote}) would exceed ${show(dec(limits.maxDustBps).div(100))}% of the entry notional ${show(notional)} ${quote} (${show(limit)} ${quote}, risk_parameters.max_dust_bps ${limits.maxDustBps})${how ? `: ${how}` : ''}.`,
    },
  ];
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

/** `BTC/USDT` and `BTC/USDT:USDT` → BTC. */
function baseOf(symbol: string): string {
  return symbol.split('/')[0] ?? '';
}

function because(reason: string | null): string {
  return reason ? ` (${reason})` : '';
}
