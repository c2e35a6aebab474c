/**
 * When stop-loss and take-profit orders trigger, following Binance spot:
 *
 * | type         | side | triggers when the price |
 * |--------------|------|-------------------------|
 * | STOP_LOSS*   | SELL | falls to or below stop  |
 * | STOP_LOSS*   | BUY  | rises to or above stop  |
 * | TAKE_PROFIT* | SELL | rises to or above stop  |
 * | TAKE_PROFIT* | BUY  | falls to or below stop  |
 *
 * An order whose trigger is already met when it is placed is refused ("Stop price would trigger
 * immediately."), as Binance does, rather than filled at once.
 */
import type { Dec } from '../../money/decimal.ts';
import type { Candle, OrderType, Side } from './types.ts';

export type TriggerDirection = 'falls-to' | 'rises-to';

export function isTriggered(type: OrderType): boolean {
  return type.startsWith('STOP_LOSS') || type.startsWith('TAKE_PROFIT');
}

/** Whether the order works as a limit order once active (price given) or as a market order. */
export function actsAsLimit(type: OrderType): boolean {
  return (
    type === 'LIMIT' || type === 'LIMIT_MAKER' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT_LIMIT'
  );
}

export function triggerDirection(type: OrderType, side: Side): TriggerDirection {
  const stopLoss = type.startsWith('STOP_LOSS');
  return stopLoss === (side === 'SELL') ? 'falls-to' : 'rises-to';
}

export function triggeredAtPrice(direction: TriggerDirection, stopPrice: Dec, price: Dec): boolean {
  return direction === 'falls-to' ? price.lte(stopPrice) : price.gte(stopPrice);
}

/**
 * The price a stop fires at within a candle: the stop itself, or the open when the candle opened
 * already beyond it (a gap), so a gap through a stop fills at the worse price, as it would live.
 * Undefined when the candle never reached the stop.
 */
export function triggerPriceInCandle(
  direction: TriggerDirection,
  stopPrice: Dec,
  candle: Candle,
): Dec | undefined {
  if (direction === 'falls-to') {
    if (candle.low.gt(stopPrice)) return undefined;
    return candle.open.lte(stopPrice) ? candle.open : stopPrice;
  }
  if (candle.high.lt(stopPrice)) return undefined;
  return candle.open.gte(stopPrice) ? candle.open : stopPrice;
}
