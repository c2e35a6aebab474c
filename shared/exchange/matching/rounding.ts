/**
 * Rounding of simulated fill prices and quantities.
 *
 * Client-supplied prices and amounts are never rounded here: the venue rejects values that are not
 * on its grid (see `filters.ts`), as Binance does. Prices the engine invents (bid, ask, slipped
 * fill prices) are rounded *against the trader* to the tick, so a simulation never looks better
 * than the venue would; quantities the engine derives (from a quote amount or a partial-fill
 * fraction) are truncated to the step, matching `roundAmountToStep` in `shared/money/decimal.ts`.
 */
import { Dec, type DecimalLike, dec, roundAmountToStep } from '../../money/decimal.ts';
import type { Side } from './types.ts';

export function ceilToTick(price: DecimalLike, tick: Dec): Dec {
  return dec(price).div(tick).toDecimalPlaces(0, Dec.ROUND_CEIL).mul(tick);
}

export function floorToTick(price: DecimalLike, tick: Dec): Dec {
  return dec(price).div(tick).toDecimalPlaces(0, Dec.ROUND_FLOOR).mul(tick);
}

/** Rounds a price the taker pays (buy: up) or receives (sell: down). */
export function roundAgainstTaker(price: DecimalLike, side: Side, tick: Dec): Dec {
  return side === 'BUY' ? ceilToTick(price, tick) : floorToTick(price, tick);
}

export function truncateToStep(amount: DecimalLike, step: Dec): Dec {
  return roundAmountToStep(amount, step);
}

/** True when `value` is an exact multiple of `step` counted from `origin`. */
export function isOnGrid(value: Dec, step: Dec, origin: Dec = dec(0)): boolean {
  if (step.isZero()) return true;
  return value.minus(origin).mod(step).isZero();
}
