/**
 * Position accounting from fills — pure, runtime-agnostic, in `Dec` (never floats).
 *
 * Spot-like accounting: buys build a long (or cover a short), sells build a short (or reduce a
 * long). One signed quantity, the amount held (long) or owed (short), changes by each fill's
 * *net* base delta: the gross amount, minus a fee charged in the base asset, because that fee
 * leaves the account too (a 1.0 BTC buy with a 0.001 BTC fee holds 0.999 BTC, and the exit can
 * only sell 0.999).
 *
 * - Cost basis and average entry price: the quote paid for what is held (Σ price × net amount,
 *   fees excluded from the price); the average entry is cost basis ÷ amount. Weighting by what
 *   is actually held keeps realised P&L equal to the cash flow when fee rates differ between
 *   fills (maker vs taker). A reduction takes its share of the cost basis, and the last one
 *   takes all that is left, so a round trip's P&L is exact whatever the division left over.
 * - Fees: converted to quote at the fill price (a base fee × fill price); a fee in a third
 *   currency (BNB) cannot be converted without another price, so it is reported apart and
 *   left out of P&L.
 * - Realised P&L: each reduction adds (exit − average entry) × amount for a long, reversed for a
 *   short; every fee in quote is subtracted when it is paid, entry fees included. The realised
 *   P&L of a closed round trip therefore equals the quote cash it made.
 * - A fill that reduces by more than is held flips the position: the rest opens the other side
 *   at the fill price (a spot account cannot do this; a margin account can).
 */
import { Dec, type DecimalLike, dec } from '../money/decimal.ts';

export type PositionSide = 'long' | 'short';

/** The parts of a fill accounting needs (a port `Fill` fits). */
export interface PositionFill {
  side: 'buy' | 'sell';
  price: DecimalLike;
  /** Gross amount, as the exchange reports it. */
  amount: DecimalLike;
  fee?: { cost: DecimalLike; currency: string } | null;
}

/** The market's two assets, to tell a base fee from a quote fee. */
export interface PairAssets {
  base: string;
  quote: string;
}

export interface PositionState {
  /** Null when nothing is held or owed. */
  side: PositionSide | null;
  /** Held (long) or owed (short) in the base asset; never negative. */
  amount: Dec;
  /** Quote paid for what is held (for a short: received for what is owed); 0 when flat. */
  costBasis: Dec;
  /** Weighted average entry price of what is held (cost basis ÷ amount); null when flat. */
  entryPrice: Dec | null;
  /** In quote: reductions' gross P&L minus every fee paid. */
  realizedPnl: Dec;
  /** In quote: every fee paid, base fees converted at their fill price. */
  feesPaid: Dec;
  /** Fees in a third currency, by currency (not in P&L). */
  otherFees: Readonly<Record<string, Dec>>;
}

export const EMPTY_POSITION: PositionState = Object.freeze({
  side: null,
  amount: dec(0),
  costBasis: dec(0),
  entryPrice: null,
  realizedPnl: dec(0),
  feesPaid: dec(0),
  otherFees: Object.freeze({}),
});

export interface FillFee {
  /** Part of the fee taken from the base asset (reduces the amount held). */
  base: Dec;
  /** The whole fee in quote, when it is in base or quote. */
  quote: Dec;
  /** A fee in another currency. */
  other: { currency: string; cost: Dec } | null;
}

export function feeOf(fill: PositionFill, assets: PairAssets): FillFee {
  const cost = fill.fee ? dec(fill.fee.cost) : dec(0);
  if (!fill.fee || cost.isZero()) return { base: dec(0), quote: dec(0), other: null };
  if (fill.fee.currency === assets.quote) return { base: dec(0), quote: cost, other: null };
  if (fill.fee.currency === assets.base) return { base: cost, quote: cost.mul(fill.price), other: null };
  return { base: dec(0), quote: dec(0), other: { currency: fill.fee.currency, cost } };
}

export interface FillEffect {
  state: PositionState;
  /** Amount added to the position (after the base fee). */
  opened: Dec;
  /** Amount the fill took off the position. */
  closed: Dec;
  /** This fill's contribution to realised P&L: gross reduction P&L minus its fee in quote. */
  realized: Dec;
  fee: FillFee;
  /** The fill reduced through zero and opened the other side. */
  flipped: boolean;
}

/** The position after one more fill. */
export function applyFill(state: PositionState, fill: PositionFill, assets: PairAssets): FillEffect {
  const price = dec(fill.price);
  const amount = dec(fill.amount);
  if (price.lte(0)) throw new Error(`fill price must be positive, got ${price.toFixed()}`);
  if (amount.lte(0)) throw new Error(`fill amount must be positive, got ${amount.toFixed()}`);
  const fee = feeOf(fill, assets);

  const held = signed(state);
  const delta = (fill.side === 'buy' ? amount : amount.neg()).minus(fee.base);
  const otherFees = fee.other
    ? {
        ...state.otherFees,
        [fee.other.currency]: (state.otherFees[fee.other.currency] ?? dec(0)).plus(fee.other.cost),
      }
    : state.otherFees;
  const paid = {
    realizedPnl: state.realizedPnl.minus(fee.quote),
    feesPaid: state.feesPaid.plus(fee.quote),
    otherFees,
  };

  if (delta.isZero()) {
    return {
      state: { ...state, ...paid },
      opened: dec(0),
      closed: dec(0),
      realized: fee.quote.neg(),
      fee,
      flipped: false,
    };
  }

  // Same direction as the position (or from flat): the position grows, the average moves.
  if (held.isZero() || held.isPositive() === delta.isPositive()) {
    const size = held.abs().plus(delta.abs());
    const costBasis = state.costBasis.plus(price.mul(delta.abs()));
    return {
      state: {
        side: delta.isPositive() ? 'long' : 'short',
        amount: size,
        costBasis,
        entryPrice: costBasis.div(size),
        ...paid,
      },
      opened: delta.abs(),
      closed: dec(0),
      realized: fee.quote.neg(),
      fee,
      flipped: false,
    };
  }

  // Against the position: the reduced part realises P&L against its share of the cost basis.
  const closed = Dec.min(delta.abs(), held.abs());
  const remaining = held.abs().minus(closed);
  const costClosed = remaining.isZero() ? state.costBasis : state.costBasis.mul(closed).div(held.abs());
  const proceeds = price.mul(closed);
  const gross = state.side === 'long' ? proceeds.minus(costClosed) : costClosed.minus(proceeds);
  const rest = delta.abs().minus(closed);
  const realizedPnl = paid.realizedPnl.plus(gross);
  const realized = gross.minus(fee.quote);
  let next: PositionState;
  if (rest.gt(0)) {
    const side: PositionSide = state.side === 'long' ? 'short' : 'long';
    next = { side, amount: rest, costBasis: price.mul(rest), entryPrice: price, ...paid, realizedPnl };
  } else if (remaining.isZero()) {
    next = { side: null, amount: dec(0), costBasis: dec(0), entryPrice: null, ...paid, realizedPnl };
  } else {
    const costBasis = state.costBasis.minus(costClosed);
    next = {
      side: state.side,
      amount: remaining,
      costBasis,
      entryPrice: state.entryPrice,
      ...paid,
      realizedPnl,
    };
  }
  return { state: next, opened: rest, closed, realized, fee, flipped: rest.gt(0) };
}

/** A position built from fills in order. */
export function positionFromFills(
  fills: readonly PositionFill[],
  assets: PairAssets,
  start: PositionState = EMPTY_POSITION,
): PositionState {
  return fills.reduce((state, fill) => applyFill(state, fill, assets).state, start);
}

/** P&L of what is still held or owed, at `mark`. */
export function unrealizedPnl(state: PositionState, mark: DecimalLike): Dec {
  if (state.side === null || state.amount.isZero()) return dec(0);
  const value = dec(mark).mul(state.amount);
  return state.side === 'long' ? value.minus(state.costBasis) : state.costBasis.minus(value);
}

/** Long positive, short negative. */
function signed(state: PositionState): Dec {
  if (state.side === null) return dec(0);
  return state.side === 'long' ? state.amount : state.amount.neg();
}
