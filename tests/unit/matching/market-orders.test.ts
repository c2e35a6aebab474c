import { describe, expect, it } from 'vitest';
import { OrderRejected } from '../../../shared/exchange/matching/rejections.ts';
import { balanceOf, engineAt100, MINUTE, order } from './builders.ts';

describe('market orders', () => {
  it('fill a buy at once at the ask, one tick above the last price', () => {
    const engine = engineAt100();
    const placed = engine.placeOrder(order('BUY', 'MARKET', { quantity: '1' }), MINUTE);
    expect(placed.status).toBe('FILLED');
    expect(placed.fills).toHaveLength(1);
    expect(placed.fills[0]!.price.toFixed()).toBe('100.01');
    expect(placed.fills[0]!.isMaker).toBe(false);
    expect(placed.cummulativeQuoteQty.toFixed()).toBe('100.01');
  });

  it('fill a sell at the bid, one tick below the last price', () => {
    const engine = engineAt100();
    const placed = engine.placeOrder(order('SELL', 'MARKET', { quantity: '0.5' }), MINUTE);
    expect(placed.fills[0]!.price.toFixed()).toBe('99.99');
  });

  it('move the fill price against the taker by the configured slippage, rounded against it to the tick', () => {
    const engine = engineAt100({ slippageBps: 10 });
    const buy = engine.placeOrder(order('BUY', 'MARKET', { quantity: '1' }), MINUTE);
    // 100.01 × 1.001 = 100.11001 → rounded up to 100.12
    expect(buy.fills[0]!.price.toFixed()).toBe('100.12');
    const sell = engine.placeOrder(order('SELL', 'MARKET', { quantity: '1' }), MINUTE);
    // 99.99 × 0.999 = 99.89001 → rounded down to 99.89
    expect(sell.fills[0]!.price.toFixed()).toBe('99.89');
  });

  it('widen the book with a spread in basis points', () => {
    const engine = engineAt100({ spreadBps: 100 });
    expect(engine.quote('BTCUSDT')!.bid.toFixed()).toBe('99.5');
    expect(engine.quote('BTCUSDT')!.ask.toFixed()).toBe('100.5');
  });

  it('turn a quote amount into a quantity truncated to the lot step', () => {
    const engine = engineAt100();
    const placed = engine.placeOrder(order('BUY', 'MARKET', { quoteOrderQty: '50' }), MINUTE);
    // 50 / 100.01 = 0.49995… → 0.499
    expect(placed.origQty.toFixed()).toBe('0.499');
    expect(placed.origQuoteOrderQty.toFixed()).toBe('50');
    expect(placed.status).toBe('FILLED');
  });

  it('are refused whole, and leave no order behind, when the account cannot pay', () => {
    const engine = engineAt100();
    const attempt = () => engine.placeOrder(order('BUY', 'MARKET', { quantity: '100' }), MINUTE);
    expect(attempt).toThrow(OrderRejected);
    expect(attempt).toThrow('Account has insufficient balance for requested action.');
    expect(engine.allOrders()).toHaveLength(0);
    expect(balanceOf(engine, 'USDT')).toEqual({ free: '10000', locked: '0' });
  });

  it('fill only the partial-fill fraction and expire the rest, as a market order never rests', () => {
    const engine = engineAt100({ partialFillFraction: '0.4' });
    const placed = engine.placeOrder(order('BUY', 'MARKET', { quantity: '1' }), MINUTE);
    expect(placed.executedQty.toFixed()).toBe('0.4');
    expect(placed.status).toBe('EXPIRED');
  });
});
