import { describe, expect, it } from 'vitest';
import { balanceOf, candle, engineAt100, MINUTE, order } from './builders.ts';

describe('stop-loss and take-profit orders', () => {
  it('wait untriggered and hold the base a stop-loss sell may sell', () => {
    const engine = engineAt100();
    const stop = engine.placeOrder(order('SELL', 'STOP_LOSS', { quantity: '1', stopPrice: '95' }), MINUTE);
    expect(stop.status).toBe('NEW');
    expect(stop.workingTime).toBeUndefined();
    expect(balanceOf(engine, 'BTC')).toEqual({ free: '0', locked: '1' });
  });

  it('trigger a stop-loss sell when the price falls to the stop, not when it rises', () => {
    const engine = engineAt100();
    const stop = engine.placeOrder(order('SELL', 'STOP_LOSS', { quantity: '1', stopPrice: '95' }), MINUTE);
    engine.applyCandle('BTCUSDT', candle(1, 100, 120, 96, 110), 2 * MINUTE);
    expect(stop.status).toBe('NEW');
    engine.applyCandle('BTCUSDT', candle(2, 110, 111, 94, 96), 3 * MINUTE);
    expect(stop.status).toBe('FILLED');
    expect(stop.workingTime).toBe(3 * MINUTE);
    expect(stop.fills[0]!.price.toFixed()).toBe('95');
    expect(stop.fills[0]!.isMaker).toBe(false);
  });

  it('fill a stop-loss at the open when the market gaps through the stop', () => {
    const engine = engineAt100();
    const stop = engine.placeOrder(order('SELL', 'STOP_LOSS', { quantity: '1', stopPrice: '95' }), MINUTE);
    engine.applyCandle('BTCUSDT', candle(1, 90, 91, 88, 89), 2 * MINUTE);
    expect(stop.fills[0]!.price.toFixed()).toBe('90');
  });

  it('trigger a stop-loss buy when the price rises to the stop', () => {
    const engine = engineAt100();
    const stop = engine.placeOrder(order('BUY', 'STOP_LOSS', { quantity: '1', stopPrice: '105' }), MINUTE);
    expect(balanceOf(engine, 'USDT').locked).toBe('105');
    engine.applyCandle('BTCUSDT', candle(1, 100, 104, 80, 85), 2 * MINUTE);
    expect(stop.status).toBe('NEW');
    engine.applyCandle('BTCUSDT', candle(2, 85, 106, 85, 104), 3 * MINUTE);
    expect(stop.status).toBe('FILLED');
    expect(stop.fills[0]!.price.toFixed()).toBe('105');
  });

  it('trigger a take-profit sell when the price rises to the stop', () => {
    const engine = engineAt100();
    const tp = engine.placeOrder(order('SELL', 'TAKE_PROFIT', { quantity: '1', stopPrice: '110' }), MINUTE);
    engine.applyCandle('BTCUSDT', candle(1, 100, 101, 80, 81), 2 * MINUTE);
    expect(tp.status).toBe('NEW');
    engine.applyCandle('BTCUSDT', candle(2, 81, 112, 81, 111), 3 * MINUTE);
    expect(tp.status).toBe('FILLED');
    expect(tp.fills[0]!.price.toFixed()).toBe('110');
  });

  it('trigger a take-profit buy when the price falls to the stop', () => {
    const engine = engineAt100();
    const tp = engine.placeOrder(order('BUY', 'TAKE_PROFIT', { quantity: '1', stopPrice: '90' }), MINUTE);
    engine.applyCandle('BTCUSDT', candle(1, 100, 130, 91, 120), 2 * MINUTE);
    expect(tp.status).toBe('NEW');
    engine.applyCandle('BTCUSDT', candle(2, 95, 96, 89, 92), 3 * MINUTE);
    expect(tp.status).toBe('FILLED');
    expect(tp.fills[0]!.price.toFixed()).toBe('90');
  });

  it('are refused when the stop would trigger at once', () => {
    const engine = engineAt100();
    const refusal = 'Stop price would trigger immediately.';
    expect(() =>
      engine.placeOrder(order('SELL', 'STOP_LOSS', { quantity: '1', stopPrice: '100' }), MINUTE),
    ).toThrow(refusal);
    expect(() =>
      engine.placeOrder(order('BUY', 'STOP_LOSS', { quantity: '1', stopPrice: '99' }), MINUTE),
    ).toThrow(refusal);
    expect(() =>
      engine.placeOrder(order('SELL', 'TAKE_PROFIT', { quantity: '1', stopPrice: '99' }), MINUTE),
    ).toThrow(refusal);
    expect(() =>
      engine.placeOrder(order('BUY', 'TAKE_PROFIT', { quantity: '1', stopPrice: '101' }), MINUTE),
    ).toThrow(refusal);
  });

  it('turn a triggered stop-loss-limit into a limit order that fills when marketable', () => {
    const engine = engineAt100();
    const stop = engine.placeOrder(
      order('SELL', 'STOP_LOSS_LIMIT', { quantity: '1', stopPrice: '95', price: '94', timeInForce: 'GTC' }),
      MINUTE,
    );
    engine.applyCandle('BTCUSDT', candle(1, 100, 100, 93, 94), 2 * MINUTE);
    expect(stop.status).toBe('FILLED');
    // Triggered at 95; a sell limit of 94 is marketable there and fills at the better 95.
    expect(stop.fills[0]!.price.toFixed()).toBe('95');
  });

  it('leave a triggered stop-loss-limit resting when the price runs away from its limit', () => {
    const engine = engineAt100();
    const stop = engine.placeOrder(
      order('SELL', 'STOP_LOSS_LIMIT', { quantity: '1', stopPrice: '95', price: '96', timeInForce: 'GTC' }),
      MINUTE,
    );
    engine.applyCandle('BTCUSDT', candle(1, 94, 95.5, 90, 91), 2 * MINUTE);
    expect(stop.status).toBe('NEW');
    expect(stop.workingTime).toBe(2 * MINUTE);
    engine.applyCandle('BTCUSDT', candle(2, 91, 97, 91, 96), 3 * MINUTE);
    expect(stop.status).toBe('FILLED');
    expect(stop.fills[0]!.price.toFixed()).toBe('96');
    expect(stop.fills[0]!.isMaker).toBe(true);
  });

  it('expire a triggered stop-loss buy the account can no longer pay for', () => {
    const engine = engineAt100({}, { USDT: '106', BTC: '0' });
    const stop = engine.placeOrder(order('BUY', 'STOP_LOSS', { quantity: '1', stopPrice: '105' }), MINUTE);
    // Gaps open at 120: the fill would cost 120, more than the 106 the account has.
    engine.applyCandle('BTCUSDT', candle(1, 120, 121, 119, 120), 2 * MINUTE);
    expect(stop.status).toBe('EXPIRED');
    expect(balanceOf(engine, 'USDT')).toEqual({ free: '106', locked: '0' });
  });
});
