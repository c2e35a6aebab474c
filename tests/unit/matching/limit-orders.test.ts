import { describe, expect, it } from 'vitest';
import { balanceOf, candle, engineAt100, MINUTE, order } from './builders.ts';

describe('limit orders', () => {
  it('rest below the market and hold the quote they may spend', () => {
    const engine = engineAt100();
    const placed = engine.placeOrder(order('BUY', 'LIMIT', { quantity: '1', price: '95' }), MINUTE);
    expect(placed.status).toBe('NEW');
    expect(balanceOf(engine, 'USDT')).toEqual({ free: '9905', locked: '95' });
  });

  it('fill as maker at their limit when a candle reaches down to it', () => {
    const engine = engineAt100();
    const placed = engine.placeOrder(order('BUY', 'LIMIT', { quantity: '1', price: '95' }), MINUTE);
    expect(engine.applyCandle('BTCUSDT', candle(1, 100, 101, 96, 97), 2 * MINUTE)).toEqual([]);
    expect(placed.status).toBe('NEW');
    const changed = engine.applyCandle('BTCUSDT', candle(2, 97, 98, 95, 96), 3 * MINUTE);
    expect(changed).toEqual([placed]);
    expect(placed.status).toBe('FILLED');
    expect(placed.fills[0]!.price.toFixed()).toBe('95');
    expect(placed.fills[0]!.isMaker).toBe(true);
    expect(placed.fills[0]!.time).toBe(3 * MINUTE);
    expect(balanceOf(engine, 'USDT')).toEqual({ free: '9905', locked: '0' });
  });

  it('sell as maker when a candle reaches up to the limit', () => {
    const engine = engineAt100();
    const placed = engine.placeOrder(order('SELL', 'LIMIT', { quantity: '0.5', price: '110' }), MINUTE);
    expect(balanceOf(engine, 'BTC')).toEqual({ free: '0.5', locked: '0.5' });
    engine.applyCandle('BTCUSDT', candle(1, 100, 110, 99, 108), 2 * MINUTE);
    expect(placed.status).toBe('FILLED');
    expect(balanceOf(engine, 'BTC')).toEqual({ free: '0.5', locked: '0' });
  });

  it('fill at once as taker at the ask, not at their limit, when marketable', () => {
    const engine = engineAt100();
    const placed = engine.placeOrder(order('BUY', 'LIMIT', { quantity: '1', price: '105' }), MINUTE);
    expect(placed.status).toBe('FILLED');
    expect(placed.fills[0]!.price.toFixed()).toBe('100.01');
    expect(placed.fills[0]!.isMaker).toBe(false);
    // Held 105 at the limit, spent 100.01: the difference is free again.
    expect(balanceOf(engine, 'USDT')).toEqual({ free: '9899.99', locked: '0' });
  });

  it('never fill a taker beyond the limit, even with slippage', () => {
    const engine = engineAt100({ slippageBps: 100 });
    const placed = engine.placeOrder(order('BUY', 'LIMIT', { quantity: '1', price: '100.5' }), MINUTE);
    expect(placed.fills[0]!.price.toFixed()).toBe('100.5');
  });

  it('expire when IOC and not marketable', () => {
    const engine = engineAt100();
    const placed = engine.placeOrder(
      order('BUY', 'LIMIT', { quantity: '1', price: '95', timeInForce: 'IOC' }),
      MINUTE,
    );
    expect(placed.status).toBe('EXPIRED');
    expect(balanceOf(engine, 'USDT')).toEqual({ free: '10000', locked: '0' });
  });

  it('expire unfilled when FOK and only part could fill', () => {
    const engine = engineAt100({ partialFillFraction: '0.5' });
    const placed = engine.placeOrder(
      order('BUY', 'LIMIT', { quantity: '1', price: '105', timeInForce: 'FOK' }),
      MINUTE,
    );
    expect(placed.status).toBe('EXPIRED');
    expect(placed.executedQty.toFixed()).toBe('0');
  });

  it('are refused as LIMIT_MAKER when they would take', () => {
    const engine = engineAt100();
    expect(() =>
      engine.placeOrder(order('BUY', 'LIMIT_MAKER', { quantity: '1', price: '100.01' }), MINUTE),
    ).toThrow('Order would immediately match and take.');
    const resting = engine.placeOrder(order('BUY', 'LIMIT_MAKER', { quantity: '1', price: '100' }), MINUTE);
    expect(resting.status).toBe('NEW');
  });

  it('are refused when the account cannot hold what they may spend', () => {
    const engine = engineAt100();
    expect(() => engine.placeOrder(order('BUY', 'LIMIT', { quantity: '200', price: '90' }), MINUTE)).toThrow(
      'Account has insufficient balance for requested action.',
    );
    expect(() => engine.placeOrder(order('SELL', 'LIMIT', { quantity: '2', price: '120' }), MINUTE)).toThrow(
      'Account has insufficient balance for requested action.',
    );
    expect(engine.allOrders()).toHaveLength(0);
  });

  it('give back what they hold when canceled, and cannot be canceled twice', () => {
    const engine = engineAt100();
    const placed = engine.placeOrder(order('BUY', 'LIMIT', { quantity: '1', price: '95' }), MINUTE);
    const canceled = engine.cancelOrder('alice', 'BTCUSDT', { orderId: placed.orderId }, MINUTE);
    expect(canceled.status).toBe('CANCELED');
    expect(balanceOf(engine, 'USDT')).toEqual({ free: '10000', locked: '0' });
    expect(() => engine.cancelOrder('alice', 'BTCUSDT', { orderId: placed.orderId }, MINUTE)).toThrow(
      'Unknown order sent.',
    );
  });

  it('refuse a client order id already used by an open order, and accept it again once that order ended', () => {
    const engine = engineAt100();
    const first = engine.placeOrder(
      order('BUY', 'LIMIT', { quantity: '1', price: '95', clientOrderId: 'intent-1' }),
      MINUTE,
    );
    expect(() =>
      engine.placeOrder(
        order('BUY', 'LIMIT', { quantity: '1', price: '94', clientOrderId: 'intent-1' }),
        MINUTE,
      ),
    ).toThrow('Duplicate order sent.');
    engine.cancelOrder('alice', 'BTCUSDT', { clientOrderId: 'intent-1' }, MINUTE);
    const second = engine.placeOrder(
      order('BUY', 'LIMIT', { quantity: '1', price: '94', clientOrderId: 'intent-1' }),
      MINUTE,
    );
    expect(engine.findOrder('alice', 'BTCUSDT', { clientOrderId: 'intent-1' })).toBe(second);
    expect(engine.findOrder('alice', 'BTCUSDT', { orderId: first.orderId })).toBe(first);
  });
});
