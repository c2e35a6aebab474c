import { describe, expect, it } from 'vitest';
import { balanceOf, candle, engineAt100, MINUTE, order } from './builders.ts';

describe('partial fills', () => {
  it('fill a resting order one fraction per candle until it is done', () => {
    const engine = engineAt100({ partialFillFraction: '0.4' });
    const placed = engine.placeOrder(order('BUY', 'LIMIT', { quantity: '1', price: '95' }), MINUTE);
    const crossing = (minute: number) => candle(minute, 96, 97, 94, 95.5);

    engine.applyCandle('BTCUSDT', crossing(1), 2 * MINUTE);
    expect(placed.status).toBe('PARTIALLY_FILLED');
    expect(placed.executedQty.toFixed()).toBe('0.4');
    expect(balanceOf(engine, 'USDT')).toEqual({ free: '9905', locked: '57' });

    engine.applyCandle('BTCUSDT', crossing(2), 3 * MINUTE);
    expect(placed.executedQty.toFixed()).toBe('0.8');

    engine.applyCandle('BTCUSDT', crossing(3), 4 * MINUTE);
    expect(placed.status).toBe('FILLED');
    expect(placed.fills.map((f) => f.qty.toFixed())).toEqual(['0.4', '0.4', '0.2']);
    expect(balanceOf(engine, 'USDT')).toEqual({ free: '9905', locked: '0' });
  });

  it('can be asked for one order only, leaving other orders to fill whole', () => {
    const engine = engineAt100();
    const partial = engine.placeOrder(order('BUY', 'LIMIT', { quantity: '1', price: '105' }), MINUTE, {
      partialFillFraction: '0.5',
    });
    const whole = engine.placeOrder(order('BUY', 'LIMIT', { quantity: '1', price: '105' }), MINUTE);
    expect(partial.status).toBe('PARTIALLY_FILLED');
    expect(partial.executedQty.toFixed()).toBe('0.5');
    expect(whole.status).toBe('FILLED');
  });

  it("keep a canceled, partly filled order's fills and release only the rest", () => {
    const engine = engineAt100({ partialFillFraction: '0.5' });
    const placed = engine.placeOrder(order('SELL', 'LIMIT', { quantity: '1', price: '101' }), MINUTE);
    engine.applyCandle('BTCUSDT', candle(1, 100, 102, 100, 101), 2 * MINUTE);
    engine.cancelOrder('alice', 'BTCUSDT', { orderId: placed.orderId }, 2 * MINUTE);
    expect(placed.status).toBe('CANCELED');
    expect(placed.executedQty.toFixed()).toBe('0.5');
    expect(balanceOf(engine, 'BTC')).toEqual({ free: '0.5', locked: '0' });
  });
});
