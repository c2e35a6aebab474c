import { describe, expect, it } from 'vitest';
import { closableAmount, flatness, positionFromFills } from '../../../shared/positions/index.ts';

const BTC_USDT = { base: 'BTC', quote: 'USDT' };
const LIMITS = { amountStep: '0.001', minAmount: '0.001', minNotional: '5' };

function view(f: ReturnType<typeof flatness>) {
  return { flat: f.flat, closable: f.closable.toFixed(), dust: f.dust.toFixed() };
}

describe('what an exit may sell, and dust', () => {
  it('sells only what the base fee left, truncated to the amount step', () => {
    // 1.0 bought with a 0.0015 BTC fee holds 0.9985; the step allows 0.998.
    const held = positionFromFills(
      [{ side: 'buy', amount: '1', price: '100', fee: { cost: '0.0015', currency: 'BTC' } }],
      BTC_USDT,
    );
    expect(closableAmount(held.amount, LIMITS).toFixed()).toBe('0.998');
    expect(view(flatness(held, LIMITS, '100'))).toEqual({ flat: false, closable: '0.998', dust: '0.0005' });
  });

  it('counts a remainder below the minimum notional as flat and reports it as dust', () => {
    // 0.999 held, 0.99 sold: 0.009 left, worth 0.9 USDT at 100 < 5.
    const state = positionFromFills(
      [
        { side: 'buy', amount: '0.999', price: '100' },
        { side: 'sell', amount: '0.99', price: '100' },
      ],
      BTC_USDT,
    );
    expect(view(flatness(state, LIMITS, '100'))).toEqual({ flat: true, closable: '0', dust: '0.009' });
    // At 1000 the same 0.009 is worth 9 USDT: sellable, not flat.
    expect(view(flatness(state, LIMITS, '1000'))).toEqual({ flat: false, closable: '0.009', dust: '0' });
  });

  it('counts a remainder below one amount step as flat', () => {
    const state = positionFromFills(
      [
        { side: 'buy', amount: '1', price: '100' },
        { side: 'sell', amount: '0.9996', price: '100' },
      ],
      BTC_USDT,
    );
    expect(view(flatness(state, { amountStep: '0.001' }, '100'))).toEqual({
      flat: true,
      closable: '0',
      dust: '0.0004',
    });
  });

  it('is flat with no dust when nothing is held', () => {
    expect(view(flatness(positionFromFills([], BTC_USDT), LIMITS, '100'))).toEqual({
      flat: true,
      closable: '0',
      dust: '0',
    });
  });
});
