import { describe, expect, it } from 'vitest';
import { dec } from '../../../shared/money/decimal.ts';
import { fitToLot, type LotFacts, sizeEntry } from '../../../shared/risk/index.ts';

/** Binance's spot fee: 0.1 %, taken from the base asset on a buy. */
const BINANCE = { rate: '0.001', buyFeeAsset: 'base' } as const;
const XRP_LOT: LotFacts = { amountStep: '1', minAmount: '1', minNotional: '5', fee: BINANCE };
const BTC_LOT: LotFacts = { amountStep: '0.00001', minAmount: '0.00001', minNotional: '5', fee: BINANCE };

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

describe('fitting the sized amount to the lot, with the fee taken in the base asset', () => {
  it('XRP at step 1 and price 100: a buy of 10 holds 9.99, the exit sells 9, 0.99 XRP (99 USDT) is dust', () => {
    expect(fitToLot('10', '100', 'long', XRP_LOT)).toEqual({
      amount: '10',
      notional: '1000',
      held: '9.99',
      sellable: '9',
      dust: '0.99',
      dustNotional: '99',
      feeInBase: true,
    });
  });

  it('BTC at step 0.00001 and price 60 000: what is left below one step is worth about 0.2 USDT', () => {
    // 1000 / 60 000 = 0.0166… → 0.01666; holds 0.01664334 → sells 0.01664
    expect(fitToLot(dec('1000').div('60000'), '60000', 'long', BTC_LOT)).toEqual({
      amount: '0.01666',
      notional: '999.6',
      held: '0.01664334',
      sellable: '0.01664',
      dust: '0.00000334',
      dustNotional: '0.2004',
      feeInBase: true,
    });
  });

  it('buys one step less when that step would only add dust: 1.001 BTC would hold 0.999999, so it buys 1', () => {
    // 1.001 × 0.999 = 0.999999 sells 0.999, which 1 × 0.999 = 0.999 already sells, with no dust at all
    const lot: LotFacts = { amountStep: '0.001', minAmount: '0.001', minNotional: '5', fee: BINANCE };
    expect(fitToLot('1.001', '100', 'long', lot)).toMatchObject({
      amount: '1',
      held: '0.999',
      sellable: '0.999',
      dust: '0',
      dustNotional: '0',
    });
  });

  it('counts everything held as dust when what the exit could sell is below the minimum notional', () => {
    // 0.05 BTC at 100 (exactly the 5 USDT minimum) holds 0.04995: 0.049 is worth 4.9 USDT, too little to sell
    const lot: LotFacts = { amountStep: '0.001', minAmount: '0.001', minNotional: '5', fee: BINANCE };
    expect(fitToLot('0.05', '100', 'long', lot)).toMatchObject({
      amount: '0.05',
      held: '0.04995',
      sellable: '0',
      dust: '0.04995',
      dustNotional: '4.995',
    });
  });

  it('counts everything held as dust when it is less than one step', () => {
    expect(fitToLot('1', '100', 'long', XRP_LOT)).toMatchObject({
      amount: '1',
      held: '0.999',
      sellable: '0',
      dust: '0.999',
      dustNotional: '99.9',
    });
  });

  it('leaves no dust when the fee is taken in the quote asset (or a third one)', () => {
    for (const buyFeeAsset of ['quote', 'other'] as const) {
      expect(fitToLot('10.5', '100', 'long', { ...XRP_LOT, fee: { rate: '0.001', buyFeeAsset } })).toEqual({
        amount: '10',
        notional: '1000',
        held: '10',
        sellable: '10',
        dust: '0',
        dustNotional: '0',
        feeInBase: false,
      });
    }
  });

  it('leaves no dust on a short (a sell pays its fee in quote) nor on a derivative', () => {
    expect(fitToLot('10.5', '100', 'short', XRP_LOT)).toMatchObject({
      amount: '10',
      dust: '0',
      feeInBase: false,
    });
    expect(fitToLot('10.5', '100', 'long', { ...XRP_LOT, derivative: true })).toMatchObject({
      amount: '10',
      dust: '0',
      feeInBase: false,
    });
  });

  it('leaves no dust with a zero fee, and none when the fee makes the amount held a whole number of steps', () => {
    expect(
      fitToLot('10', '100', 'long', { ...XRP_LOT, fee: { rate: '0', buyFeeAsset: 'base' } }),
    ).toMatchObject({
      amount: '10',
      dust: '0',
    });
    // 1000 XRP × 0.999 = 999 XRP
    expect(fitToLot('1000', '100', 'long', XRP_LOT)).toMatchObject({
      amount: '1000',
      sellable: '999',
      dust: '0',
    });
  });

  it('is part of the sizing result when the lot is given', () => {
    const sized = sizeEntry({
      rule: 'fixed_quote',
      value: '1000',
      equity: '0',
      price: '100',
      stopLoss: null,
      side: 'long',
      lot: XRP_LOT,
    });
    expect(sized).toMatchObject({
      kind: 'sized',
      amount: '10',
      quoteAmount: '1000',
      lot: { amount: '10', sellable: '9', dust: '0.99', dustNotional: '99' },
    });
  });

  it('refuses a fee rate that is not a fraction below 1', () => {
    const sized = sizeEntry({
      rule: 'fixed_quote',
      value: '1000',
      equity: '0',
      price: '100',
      stopLoss: null,
      side: 'long',
      lot: { ...XRP_LOT, fee: { rate: '1', buyFeeAsset: 'base' } },
    });
    expect(sized).toEqual({
      kind: 'refused',
      reason: "The market's fee rate 1 is not a fraction from 0 to below 1.",
    });
  });
});
