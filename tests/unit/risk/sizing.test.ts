import { describe, expect, it } from 'vitest';
import { sizeEntry } from '../../../shared/risk/index.ts';

describe('sizing an entry', () => {
  it('buys a fixed quote amount: 250 USDT at 125 is 2 BTC', () => {
    expect(
      sizeEntry({
        rule: 'fixed_quote',
        value: '250',
        equity: '0',
        price: '125',
        stopLoss: null,
        side: 'long',
      }),
    ).toEqual({ kind: 'sized', amount: '2', quoteAmount: '250' });
  });

  it('buys a percentage of equity: 5 % of 12 000 USDT at 300 is 2 BTC', () => {
    expect(
      sizeEntry({
        rule: 'percent_equity',
        value: '5',
        equity: '12000',
        price: '300',
        stopLoss: null,
        side: 'long',
      }),
    ).toEqual({ kind: 'sized', amount: '2', quoteAmount: '600' });
  });

  it('risks a percentage of equity over the stop distance: 1 % of 10 000 over 100 − 95 is 20', () => {
    expect(
      sizeEntry({
        rule: 'risk_percent',
        value: '1',
        equity: '10000',
        price: '100',
        stopLoss: '95',
        side: 'long',
      }),
    ).toEqual({ kind: 'sized', amount: '20', quoteAmount: '2000' });
  });

  it('measures a short’s stop distance above the entry: 2 % of 5 000 over 110 − 100 is 10', () => {
    expect(
      sizeEntry({
        rule: 'risk_percent',
        value: '2',
        equity: '5000',
        price: '100',
        stopLoss: '110',
        side: 'short',
      }),
    ).toEqual({ kind: 'sized', amount: '10', quoteAmount: '1000' });
  });

  it('keeps full precision: 100 USDT at 3 is 33.33… (rounding to the step is the engine’s job)', () => {
    const sized = sizeEntry({
      rule: 'fixed_quote',
      value: '100',
      equity: '0',
      price: '3',
      stopLoss: null,
      side: 'long',
    });
    expect(sized.kind === 'sized' && sized.amount.startsWith('33.333333333333')).toBe(true);
  });

  it('refuses risk_percent sizing when the signal has no stop-loss', () => {
    const sized = sizeEntry({
      rule: 'risk_percent',
      value: '1',
      equity: '10000',
      price: '100',
      stopLoss: null,
      side: 'long',
    });
    expect(sized).toEqual({
      kind: 'refused',
      reason: 'Sizing by risk_percent (1% of equity) needs a stop-loss, and the signal has none.',
    });
  });

  it('refuses risk_percent sizing with the stop on the wrong side of the entry', () => {
    const sized = sizeEntry({
      rule: 'risk_percent',
      value: '1',
      equity: '10000',
      price: '100',
      stopLoss: '100',
      side: 'long',
    });
    expect(sized).toMatchObject({ kind: 'refused' });
    expect(sized.kind === 'refused' && sized.reason).toContain('below the entry price for a long');
  });

  it('refuses equity-based sizing on an empty account, naming the balance', () => {
    expect(
      sizeEntry({
        rule: 'percent_equity',
        value: '10',
        equity: '0',
        price: '100',
        stopLoss: null,
        side: 'long',
        quote: 'USDT',
      }),
    ).toEqual({
      kind: 'refused',
      reason: 'Sizing by percent_equity needs equity, and the account holds 0 USDT.',
    });
  });
});
