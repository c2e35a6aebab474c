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
 *
 * With the market's lot (`lot`), the amount is also fitted to the exchange (fitToLot): a
 * multiple of the amount step, and, where a buy's fee is taken in the base asset, the amount
 * that keeps what is left unsellable after the fee to a minimum. The result then carries that
 * expected unsellable remainder ("dust"); evaluate-entry.ts refuses an entry whose dust is worth
 * more than risk_parameters.max_dust_bps of its notional.
 */
import { Dec, type DecimalLike, dec, roundAmountToStep, toDecimalString } from '../money/decimal.ts';
import type { EntryFee, SignalSide, SizingRule } from './facts.ts';
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
  /** The market's lot and the entry's fee: when given, the amount is fitted to them (`lot` in the result). */
  lot?: LotFacts;
}

export type SizingResult =
  | {
      kind: 'sized';
      /** What the rule asks for, at full precision (before the lot). */
      amount: string;
      quoteAmount: string;
      /** The amount fitted to the market's lot, and what it is expected to leave unsellable. */
      lot?: LotFit;
    }
  | { kind: 'refused'; reason: string };

export function sizeEntry(input: SizingInput): SizingResult {
  const sized = sizeByRule(input);
  if (sized.kind === 'refused' || input.lot === undefined) return sized;
  const rate = dec(input.lot.fee.rate);
  if (rate.lt(0) || rate.gte(1)) {
    return {
      kind: 'refused',
      reason: `The market's fee rate ${show(rate)} is not a fraction from 0 to below 1.`,
    };
  }
  return { ...sized, lot: fitToLot(sized.amount, input.price, input.side, input.lot) };
}

/** The market's side of fitting an amount: its lot step and minimums, and the entry's fee. */
export interface LotFacts {
  amountStep: DecimalLike;
  minAmount?: DecimalLike | null;
  minNotional?: DecimalLike | null;
  fee: EntryFee;
  /** A derivative (`BTC/USDT:USDT`) delivers no base asset, so no fee is taken from it. */
  derivative?: boolean;
}

/** An amount fitted to the market's lot, and what it leaves behind. Decimal strings. */
export interface LotFit {
  /** The order's amount: a multiple of the step, never above the amount sized. */
  amount: string;
  /** amount × price. */
  notional: string;
  /** What the account holds after the fee: less than `amount` when a buy's fee is taken in the base asset. */
  held: string;
  /** What an exit can sell of it: rounded down to the step; 0 when that is below the exchange's minimums. */
  sellable: string;
  /** held − sellable: the expected unsellable remainder ("dust"), and its worth at the price. */
  dust: string;
  dustNotional: string;
  /** Whether the fee is taken from the base asset bought (the only case that leaves dust). */
  feeInBase: boolean;
}

/**
 * Fits a sized amount to the market's lot.
 *
 * Without a fee in the base asset (a short, a fee in quote or a third asset, a derivative) this
 * is the amount rounded down to the step, all of it sellable.
 *
 * A buy of A whose fee (rate f) is taken from the base holds A·(1 − f), which is not a multiple
 * of the step s: an exit can sell only S = ⌊A·(1 − f) / s⌋·s, and the rest can never be sold.
 * Whatever A is, that rest is s·frac(A·(1 − f) / s), typically almost one step when A·f is
 * below a step, so it cannot be sized away; what sizing can do is not pay for more of it than
 * needed. S is the most the sized amount can leave sellable (A at most the sized amount rounded
 * down to the step, as everywhere); the buy is then the smallest multiple of the step that still
 * leaves S after the fee: A = ⌈S / ((1 − f)·s)⌉·s. That A never exceeds the rounded sized amount,
 * and its remainder A·(1 − f) − S lies in [0, s·(1 − f)), the least any buy leaving S can have.
 * When S itself is below the exchange's minimum amount or notional (at `price`), no exit can
 * sell it at all and everything held is dust (shared/positions/dust.ts calls it flat).
 */
export function fitToLot(sized: DecimalLike, price: DecimalLike, side: SignalSide, lot: LotFacts): LotFit {
  const step = dec(lot.amountStep);
  const at = dec(price);
  const most = roundAmountToStep(sized, step);
  const feeInBase =
    side === 'long' && !lot.derivative && lot.fee.buyFeeAsset === 'base' && !dec(lot.fee.rate).isZero();
  if (!feeInBase) return fitted(most, most, most, at, false);

  const keep = dec(1).minus(lot.fee.rate);
  if (keep.lte(0) || keep.gt(1))
    throw new Error(`fee rate ${lot.fee.rate} is not a fraction from 0 to below 1`);
  const sellable = roundAmountToStep(most.mul(keep), step);
  let amount = most;
  if (sellable.gt(0)) {
    let steps = sellable.div(step).div(keep).toDecimalPlaces(0, Dec.ROUND_UP);
    // The division is rounded at 40 digits: make sure the buy really leaves `sellable`.
    if (steps.mul(step).mul(keep).lt(sellable)) steps = steps.plus(1);
    amount = steps.mul(step);
  }
  const held = amount.mul(keep);
  return fitted(amount, held, exitable(sellable, at, lot) ? sellable : dec(0), at, true);
}

function fitted(amount: Dec, held: Dec, sellable: Dec, price: Dec, feeInBase: boolean): LotFit {
  const dust = held.minus(sellable);
  return {
    amount: toDecimalString(amount),
    notional: toDecimalString(amount.mul(price)),
    held: toDecimalString(held),
    sellable: toDecimalString(sellable),
    dust: toDecimalString(dust),
    dustNotional: toDecimalString(dust.mul(price)),
    feeInBase,
  };
}

/** Whether an exit order for `amount` passes the exchange's minimums (as shared/positions/dust.ts judges). */
function exitable(amount: Dec, price: Dec, lot: LotFacts): boolean {
  if (amount.lte(0)) return false;
  if (lot.minAmount != null && amount.lt(lot.minAmount)) return false;
  if (lot.minNotional != null && amount.mul(price).lt(lot.minNotional)) return false;
  return true;
}

function sizeByRule(input: SizingInput): SizingResult {
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
