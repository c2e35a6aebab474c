/**
 * Sizing: how much base currency an entry buys (or sells), before the exchange's step and
 * minimums are applied (evaluate-entry.ts rounds down to the step and checks the minimums).
 *
 * - fixed_quote:    amount = value / price                      (value in quote, e.g. 100 USDT)
 * - percent_equity: amount = equity × value% / price
 * - risk_percent:   amount = equity × value% / |price − stop|   (what is lost if the stop is hit
 *                   equals value% of equity, fees and slippage aside)
 *
 * `price` is the entry's reference price (the signal's entry price, else the quote the market
 * order would take). A risk_percent entry without a stop, or with the stop on the wrong side of
 * the price, cannot be sized and is refused: its risk is undefined.
 */
import { type DecimalLike, dec, toDecimalString } from '../money/decimal.ts';
import type { SignalSide, SizingRule } from './facts.ts';
import { show } from './format.ts';

export interface SizingInput {
  rule: SizingRule;
  /** traders.sizing_value: quote amount for fixed_quote, a percentage otherwise. */
  value: DecimalLike;
  /** Account equity in the quote currency. */
  equity: DecimalLike;
  price: DecimalLike;
  stopLoss: DecimalLike | null;
  side: SignalSide;
  /** For reasons: the quote currency's code. */
  quote?: string;
}

export type SizingResult =
  | { kind: 'sized'; amount: string; quoteAmount: string }
  | { kind: 'refused'; reason: string };

export function sizeEntry(input: SizingInput): SizingResult {
  const price = dec(input.price);
  const value = dec(input.value);
  const equity = dec(input.equity);
  const quote = input.quote ? ` ${input.quote}` : '';
  if (price.lte(0)) return { kind: 'refused', reason: `Cannot size an entry at price ${show(price)}.` };
  if (value.lte(0)) return { kind: 'refused', reason: `Sizing value ${show(value)} must be positive.` };

  if (input.rule === 'fixed_quote') {
    return { kind: 'sized', amount: toDecimalString(value.div(price)), quoteAmount: toDecimalString(value) };
  }
  if (equity.lte(0)) {
    return {
      kind: 'refused',
      reason: `Sizing by ${input.rule} needs equity, and the account holds ${show(equity)}${quote}.`,
    };
  }
  const budget = equity.mul(value).div(100);
  if (input.rule === 'percent_equity') {
    return {
      kind: 'sized',
      amount: toDecimalString(budget.div(price)),
      quoteAmount: toDecimalString(budget),
    };
  }

  // risk_percent
  if (input.stopLoss === null) {
    return {
      kind: 'refused',
      reason: `Sizing by risk_percent (${show(value)}% of equity) needs a stop-loss, and the signal has none.`,
    };
  }
  const stop = dec(input.stopLoss);
  const distance = input.side === 'long' ? price.minus(stop) : stop.minus(price);
  if (distance.lte(0)) {
    const where = input.side === 'long' ? 'below' : 'above';
    return {
      kind: 'refused',
      reason: `Sizing by risk_percent needs the stop-loss ${where} the entry price for a ${input.side}; the stop is ${show(stop)} and the entry ${show(price)}.`,
    };
  }
  const amount = budget.div(distance);
  return { kind: 'sized', amount: toDecimalString(amount), quoteAmount: toDecimalString(amount.mul(price)) };
}
