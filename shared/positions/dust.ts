/**
 * What of a position can actually be sold, and when what is left counts as flat.
 *
 * An exit order must be a multiple of the market's amount step, at least its minimum amount,
 * and worth at least its minimum notional. A remainder that fails any of these cannot be
 * traded away: it is dust, and a position holding only dust is flat. The dust is reported,
 * never silently dropped (it stays on the account's balance).
 */
import { type Dec, type DecimalLike, dec, roundAmountToStep } from '../money/decimal.ts';
import type { PositionState } from './ledger.ts';

/** The market limits an exit order must pass (a port `MarketInfo` fits). */
export interface MarketLimits {
  amountStep: DecimalLike;
  minAmount?: DecimalLike | null;
  minNotional?: DecimalLike | null;
}

/** The amount held, truncated to the amount step: what an exit order may ask for. */
export function closableAmount(amount: DecimalLike, limits: MarketLimits): Dec {
  return roundAmountToStep(amount, limits.amountStep);
}

export interface Flatness {
  /** Nothing tradeable is left. */
  flat: boolean;
  /** What an exit order may sell (long) or buy back (short); 0 when flat. */
  closable: Dec;
  /** What no order can take away: everything left when flat, else the part below one step. */
  dust: Dec;
}

/** Whether `state` is flat at `price` under the market's limits. */
export function flatness(state: PositionState, limits: MarketLimits, price: DecimalLike): Flatness {
  const amount = state.side === null ? dec(0) : state.amount;
  const closable = closableAmount(amount, limits);
  const tooSmall =
    closable.isZero() ||
    (limits.minAmount != null && closable.lt(limits.minAmount)) ||
    (limits.minNotional != null && closable.mul(price).lt(limits.minNotional));
  if (tooSmall) return { flat: true, closable: dec(0), dust: amount };
  return { flat: false, closable, dust: amount.minus(closable) };
}
