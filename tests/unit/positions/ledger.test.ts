/**
 * P&L against a hand-computed ledger. Every expected number is a literal, with the arithmetic
 * beside it; the cash check at the end of each round trip is the independent proof.
 */
import { describe, expect, it } from 'vitest';
import { dec } from '../../../shared/money/decimal.ts';
import {
  applyFill,
  EMPTY_POSITION,
  type PositionFill,
  type PositionState,
  positionFromFills,
  unrealizedPnl,
} from '../../../shared/positions/index.ts';

const BTC_USDT = { base: 'BTC', quote: 'USDT' };

const buy = (amount: string, price: string, fee?: [string, string]): PositionFill => ({
  side: 'buy',
  amount,
  price,
  fee: fee ? { cost: fee[0], currency: fee[1] } : null,
});
const sell = (amount: string, price: string, fee?: [string, string]): PositionFill => ({
  ...buy(amount, price, fee),
  side: 'sell',
});

/** The state as plain strings, easy to compare with literals. */
function view(state: PositionState) {
  return {
    side: state.side,
    amount: state.amount.toFixed(),
    entryPrice: state.entryPrice?.toFixed() ?? null,
    realizedPnl: state.realizedPnl.toFixed(),
    feesPaid: state.feesPaid.toFixed(),
  };
}

describe('a long built from partial fills with fees in base, closed in two exits with fees in quote', () => {
  // The entry: buy 1.0 BTC, filled in two parts, 0.1 % fee taken in BTC (Binance's buy side).
  const part1 = buy('0.4', '100', ['0.0004', 'BTC']);
  const part2 = buy('0.6', '101', ['0.0006', 'BTC']);
  // The exits: 0.1 % fee taken in USDT (Binance's sell side).
  const partialExit = sell('0.4', '110', ['0.044', 'USDT']); // 0.4 × 110 = 44; 44 × 0.001 = 0.044
  const finalExit = sell('0.599', '105', ['0.062895', 'USDT']); // 0.599 × 105 = 62.895; × 0.001

  it('holds the amount net of the base fee after the first partial fill', () => {
    expect(view(positionFromFills([part1], BTC_USDT))).toEqual({
      side: 'long',
      amount: '0.3996', // 0.4 − 0.0004
      entryPrice: '100',
      realizedPnl: '-0.04', // the fee, 0.0004 BTC × 100
      feesPaid: '0.04',
    });
  });

  it('averages the entry over what is held once the entry has filled completely', () => {
    expect(view(positionFromFills([part1, part2], BTC_USDT))).toEqual({
      side: 'long',
      amount: '0.999', // 0.3996 + (0.6 − 0.0006 = 0.5994)
      entryPrice: '100.6', // (100 × 0.3996 + 101 × 0.5994) / 0.999 = (39.96 + 60.5394) / 0.999
      realizedPnl: '-0.1006', // −(0.04 + 0.0006 × 101 = 0.0606)
      feesPaid: '0.1006',
    });
  });

  it('values what is held at a mark price', () => {
    const state = positionFromFills([part1, part2], BTC_USDT);
    expect(unrealizedPnl(state, '102').toFixed()).toBe('1.3986'); // (102 − 100.6) × 0.999
    expect(unrealizedPnl(state, '100').toFixed()).toBe('-0.5994'); // (100 − 100.6) × 0.999
  });

  it('realises P&L on a partial exit and keeps the average entry of the rest', () => {
    const effect = applyFill(positionFromFills([part1, part2], BTC_USDT), partialExit, BTC_USDT);
    expect(effect.closed.toFixed()).toBe('0.4');
    expect(effect.realized.toFixed()).toBe('3.716'); // (110 − 100.6) × 0.4 = 3.76; − 0.044
    expect(view(effect.state)).toEqual({
      side: 'long',
      amount: '0.599', // 0.999 − 0.4
      entryPrice: '100.6',
      realizedPnl: '3.6154', // −0.1006 + 3.76 − 0.044
      feesPaid: '0.1446', // 0.1006 + 0.044
    });
  });

  it('is flat after the final exit, with the realised P&L equal to the cash the trade made', () => {
    const state = positionFromFills([part1, part2, partialExit, finalExit], BTC_USDT);
    expect(view(state)).toEqual({
      side: null,
      amount: '0',
      entryPrice: null,
      realizedPnl: '6.188105', // 3.6154 + (105 − 100.6) × 0.599 = 2.6356; − 0.062895
      feesPaid: '0.207495', // 0.1446 + 0.062895
    });
    // Cash: paid 40 + 60.6 = 100.6 USDT; received 44 − 0.044 + 62.895 − 0.062895 = 106.788105.
    expect(dec('106.788105').minus('100.6').toFixed()).toBe(state.realizedPnl.toFixed());
    expect(unrealizedPnl(state, '120').toFixed()).toBe('0');
  });
});

describe('a short', () => {
  it('opens on a sell with its fee in quote and covers with a buy whose base fee leaves a little owed', () => {
    const open = sell('0.5', '200', ['0.1', 'USDT']); // 0.5 × 200 = 100; × 0.001
    const cover = buy('0.5', '190', ['0.0005', 'BTC']); // the fee is taken from the 0.5 bought
    const opened = positionFromFills([open], BTC_USDT);
    expect(view(opened)).toEqual({
      side: 'short',
      amount: '0.5',
      entryPrice: '200',
      realizedPnl: '-0.1',
      feesPaid: '0.1',
    });
    expect(unrealizedPnl(opened, '210').toFixed()).toBe('-5'); // (200 − 210) × 0.5

    const covered = applyFill(opened, cover, BTC_USDT);
    expect(covered.closed.toFixed()).toBe('0.4995'); // 0.5 − 0.0005 arrives to cover
    expect(view(covered.state)).toEqual({
      side: 'short',
      amount: '0.0005', // still owed
      entryPrice: '200',
      realizedPnl: '4.8', // −0.1 + (200 − 190) × 0.4995 = 4.995; − 0.0005 × 190 = 0.095
      feesPaid: '0.195',
    });
    // Cash: +100 − 0.1 − 95 = 4.9, less the 0.0005 BTC still owed (0.095 at 190) = 4.805;
    // realised 4.8 + unrealised (200 − 190) × 0.0005 = 0.005 → 4.805.
    expect(covered.state.realizedPnl.plus(unrealizedPnl(covered.state, '190')).toFixed()).toBe('4.805');
  });
});

describe('accounting details', () => {
  it('weights the average entry by what each fill left on the account, so P&L matches cash when fee rates differ', () => {
    const state = positionFromFills(
      [
        buy('0.5', '100', ['0.0005', 'BTC']), // taker 0.1 %: holds 0.4995, fee 0.05 USDT
        buy('0.5', '110', ['0.00025', 'BTC']), // maker 0.05 %: holds 0.49975, fee 0.0275 USDT
        sell('0.99925', '120'), // everything held, no fee
      ],
      BTC_USDT,
    );
    // Cash: −50 − 55 + 0.99925 × 120 = −105 + 119.91 = 14.91.
    expect(view(state)).toMatchObject({ side: null, realizedPnl: '14.91', feesPaid: '0.0775' });
  });

  it('keeps a fee in a third currency apart and out of P&L', () => {
    const state = positionFromFills([buy('1', '100', ['0.02', 'BNB']), sell('1', '101')], BTC_USDT);
    expect(view(state)).toMatchObject({ side: null, realizedPnl: '1', feesPaid: '0' });
    expect(state.otherFees['BNB']?.toFixed()).toBe('0.02');
  });

  it('flips to the other side when a fill reduces through zero', () => {
    const effect = applyFill(positionFromFills([buy('1', '100')], BTC_USDT), sell('1.5', '90'), BTC_USDT);
    expect(effect.flipped).toBe(true);
    expect(view(effect.state)).toEqual({
      side: 'short',
      amount: '0.5',
      entryPrice: '90',
      realizedPnl: '-10', // (90 − 100) × 1
      feesPaid: '0',
    });
  });

  it('refuses a fill with a non-positive price or amount', () => {
    expect(() => applyFill(EMPTY_POSITION, buy('0', '100'), BTC_USDT)).toThrow(/amount must be positive/);
    expect(() => applyFill(EMPTY_POSITION, buy('1', '0'), BTC_USDT)).toThrow(/price must be positive/);
  });
});
