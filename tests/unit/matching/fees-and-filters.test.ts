import { describe, expect, it } from 'vitest';
import { balanceOf, engineAt100, MINUTE, order } from './builders.ts';

describe('fees', () => {
  it('are taken in the base asset on a buy, as Binance does', () => {
    const engine = engineAt100();
    const placed = engine.placeOrder(order('BUY', 'MARKET', { quantity: '1' }), MINUTE);
    expect(placed.fills[0]!.commission.toFixed()).toBe('0.001');
    expect(placed.fills[0]!.commissionAsset).toBe('BTC');
    expect(balanceOf(engine, 'BTC').free).toBe('1.999');
    expect(balanceOf(engine, 'USDT').free).toBe('9899.99');
  });

  it('are taken in the quote asset on a sell', () => {
    const engine = engineAt100();
    const placed = engine.placeOrder(order('SELL', 'MARKET', { quantity: '1' }), MINUTE);
    expect(placed.fills[0]!.commission.toFixed()).toBe('0.09999');
    expect(placed.fills[0]!.commissionAsset).toBe('USDT');
    expect(balanceOf(engine, 'USDT').free).toBe('10099.89001');
    expect(balanceOf(engine, 'BTC').free).toBe('0');
  });

  it('are taken in the quote asset on both sides in quote mode', () => {
    const engine = engineAt100({ fees: { mode: 'quote' } });
    const placed = engine.placeOrder(order('BUY', 'MARKET', { quantity: '1' }), MINUTE);
    expect(placed.fills[0]!.commissionAsset).toBe('USDT');
    expect(placed.fills[0]!.commission.toFixed()).toBe('0.10001');
    expect(balanceOf(engine, 'BTC').free).toBe('2');
    expect(balanceOf(engine, 'USDT').free).toBe('9899.88999');
  });

  it('use the maker rate for resting fills and the taker rate for immediate ones', () => {
    const engine = engineAt100({ fees: { maker: '0.0002', taker: '0.0005', mode: 'quote' } });
    const taker = engine.placeOrder(order('SELL', 'LIMIT', { quantity: '0.1', price: '99' }), MINUTE);
    expect(taker.fills[0]!.commission.toFixed()).toBe('0.0049995');
  });

  it('are held up front on a resting buy in quote mode', () => {
    const engine = engineAt100({ fees: { mode: 'quote' } });
    engine.placeOrder(order('BUY', 'LIMIT', { quantity: '1', price: '90' }), MINUTE);
    expect(balanceOf(engine, 'USDT').locked).toBe('90.09');
  });
});

describe('exchange filters', () => {
  it('refuse a price off the tick grid', () => {
    const engine = engineAt100();
    expect(() =>
      engine.placeOrder(order('BUY', 'LIMIT', { quantity: '1', price: '95.001' }), MINUTE),
    ).toThrow('Filter failure: PRICE_FILTER');
  });

  it('refuse a quantity off the lot step or below the minimum', () => {
    const engine = engineAt100();
    expect(() => engine.placeOrder(order('BUY', 'MARKET', { quantity: '0.0015' }), MINUTE)).toThrow(
      'Filter failure: LOT_SIZE',
    );
    expect(() => engine.placeOrder(order('BUY', 'MARKET', { quantity: '0.0001' }), MINUTE)).toThrow(
      'Filter failure: LOT_SIZE',
    );
  });

  it('refuse an order worth less than the minimum notional', () => {
    const engine = engineAt100();
    expect(() =>
      engine.placeOrder(order('BUY', 'LIMIT', { quantity: '0.04', price: '100' }), MINUTE),
    ).toThrow('Filter failure: NOTIONAL');
    const rejected = (() => {
      try {
        engine.placeOrder(order('BUY', 'MARKET', { quantity: '0.049' }), MINUTE);
      } catch (error) {
        return error as { reason: string; filter: string };
      }
    })();
    expect(rejected).toMatchObject({ reason: 'filter', filter: 'NOTIONAL' });
  });

  it('refuse an unknown market', () => {
    const engine = engineAt100();
    expect(() =>
      engine.placeOrder({ ...order('BUY', 'MARKET', { quantity: '1' }), symbol: 'DOGEUSDT' }, MINUTE),
    ).toThrow('Invalid symbol.');
  });
});
