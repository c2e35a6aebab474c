/**
 * Money arithmetic, in one place.
 *
 * Amounts, prices, fees and P&L are never binary floats: they travel as decimal strings
 * (Postgres `numeric` comes back as a string from postgres.js and PGlite) and are computed
 * with `Decimal` here.
 *
 * Rounding rules (the only ones in the project):
 * - an order amount is truncated toward zero to the market's amount step, so that we never
 *   send more than was sized or than the balance holds;
 * - a price is rounded half-even to the market's price tick;
 * - fees and P&L are kept at full precision and rounded only for display.
 */
import DecimalDefault, { type Decimal as DecimalClass } from 'decimal.js';

// decimal.js ships CommonJS typings for its default export; Deno's checker reads them
// literally, so the default import is re-typed as the class it is at run time.
const Decimal = DecimalDefault as unknown as typeof DecimalClass;

/** A Decimal constructor with enough precision for crypto amounts (18+ decimals) and no exponent surprises. */
export const Dec = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -30,
  toExpPos: 40,
});
export type Dec = InstanceType<typeof Dec>;

export type DecimalLike = Dec | string | number;

export function dec(value: DecimalLike): Dec {
  if (typeof value === 'string' && value.trim() === '') throw new Error('empty string is not a number');
  return new Dec(value);
}

/** Truncates toward zero to a multiple of `step` (an amount step such as "0.001"). */
export function roundAmountToStep(amount: DecimalLike, step: DecimalLike): Dec {
  const s = dec(step);
  if (s.lte(0)) throw new Error(`amount step must be positive, got ${s.toString()}`);
  return dec(amount).div(s).toDecimalPlaces(0, Dec.ROUND_DOWN).mul(s);
}

/** Rounds half-even to a multiple of `tick` (a price tick such as "0.01"). */
export function roundPriceToTick(price: DecimalLike, tick: DecimalLike): Dec {
  const t = dec(tick);
  if (t.lte(0)) throw new Error(`price tick must be positive, got ${t.toString()}`);
  return dec(price).div(t).toDecimalPlaces(0, Dec.ROUND_HALF_EVEN).mul(t);
}

/** Canonical decimal string (no exponent, no trailing zeros), as stored in `numeric` columns. */
export function toDecimalString(value: DecimalLike): string {
  return dec(value).toFixed();
}
