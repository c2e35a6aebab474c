import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import {
  CircuitOpen,
  classifyExchangeError,
  isVenueFailure,
  MarketLimitViolation,
  RequestBudgetExhausted,
  wasRefusedBeforeProcessing,
} from '../../../shared/exchange/errors.ts';
import { OrderRejected } from '../../../shared/exchange/matching/rejections.ts';
import { backoffDelay, withRetry } from '../../../shared/exchange/retry.ts';

describe('classifying ccxt errors', () => {
  it.each([
    ['RequestTimeout', new ccxt.RequestTimeout('t'), 'retryable'],
    ['ExchangeNotAvailable', new ccxt.ExchangeNotAvailable('503'), 'retryable'],
    ['DDoSProtection', new ccxt.DDoSProtection('429'), 'retryable'],
    ['RateLimitExceeded', new ccxt.RateLimitExceeded('-1015'), 'retryable'],
    ['NetworkError', new ccxt.NetworkError('reset'), 'retryable'],
    ['InsufficientFunds', new ccxt.InsufficientFunds('-2010'), 'rejected'],
    ['InvalidOrder', new ccxt.InvalidOrder('bad'), 'rejected'],
    ['BadSymbol', new ccxt.BadSymbol('XYZ'), 'rejected'],
    ['BadRequest', new ccxt.BadRequest('Filter failure: NOTIONAL'), 'rejected'],
    ['AuthenticationError', new ccxt.AuthenticationError('-2015'), 'rejected'],
    ['PermissionDenied', new ccxt.PermissionDenied('no trading'), 'rejected'],
    [
      'a market limit caught before sending',
      new MarketLimitViolation('min_notional', 'too small'),
      'rejected',
    ],
    ['OrderNotFound', new ccxt.OrderNotFound('-2013'), 'not_found'],
    [
      'Binance -2010 "Duplicate order sent."',
      new ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}'),
      'duplicate',
    ],
    ['DuplicateOrderId', new ccxt.DuplicateOrderId('dup'), 'duplicate'],
    ['an open circuit', new CircuitOpen(7), 'not_sent'],
    ['an empty budget', new RequestBudgetExhausted(7, 10_000), 'not_sent'],
    ['a bare ExchangeError', new ccxt.ExchangeError('?'), 'ambiguous'],
    ['BadResponse', new ccxt.BadResponse('garbled'), 'ambiguous'],
    ['a TypeError', new TypeError('x is undefined'), 'bug'],
  ])('%s → %s', (_name, error, kind) => {
    expect(classifyExchangeError(error)).toBe(kind);
  });

  it('reads the paper venue’s typed refusals as venue answers, never as bugs', () => {
    expect(classifyExchangeError(new OrderRejected('insufficient-balance', 'no funds'))).toBe('rejected');
    expect(classifyExchangeError(new OrderRejected('filter', 'lot size', 'LOT_SIZE'))).toBe('rejected');
    expect(classifyExchangeError(new OrderRejected('unknown-order', 'gone'))).toBe('not_found');
    expect(classifyExchangeError(new OrderRejected('duplicate-client-order-id', 'dup'))).toBe('duplicate');
    expect(classifyExchangeError(new Error('a plain error'))).toBe('bug');
  });

  it('counts only network trouble and unexplained errors as venue failures for the circuit breaker', () => {
    expect(isVenueFailure(new ccxt.RequestTimeout('t'))).toBe(true);
    expect(isVenueFailure(new ccxt.ExchangeError('?'))).toBe(true);
    expect(isVenueFailure(new ccxt.InsufficientFunds('no'))).toBe(false);
    expect(isVenueFailure(new ccxt.OrderNotFound('no'))).toBe(false);
  });

  it('treats only rate limits, bans, receive-window errors and our own guards as refused before processing', () => {
    expect(wasRefusedBeforeProcessing(new ccxt.DDoSProtection('429'))).toBe(true);
    expect(wasRefusedBeforeProcessing(new ccxt.RateLimitExceeded('-1015'))).toBe(true);
    expect(wasRefusedBeforeProcessing(new ccxt.InvalidNonce('-1021'))).toBe(true);
    expect(wasRefusedBeforeProcessing(new CircuitOpen(1))).toBe(true);
    // A timeout, a dropped connection or a 5xx leave the outcome unknown.
    expect(wasRefusedBeforeProcessing(new ccxt.RequestTimeout('t'))).toBe(false);
    expect(wasRefusedBeforeProcessing(new ccxt.NetworkError('reset'))).toBe(false);
    expect(wasRefusedBeforeProcessing(new ccxt.ExchangeNotAvailable('503'))).toBe(false);
  });
});

describe('retrying reads', () => {
  it('backs off exponentially with jitter between half and all of the capped delay', () => {
    const policy = { attempts: 6, baseMs: 100, maxMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, policy, () => 0))).toEqual([
      50, 100, 200, 400, 500,
    ]);
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, policy, () => 1))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
  });

  it('retries a retryable error until it succeeds, sleeping the backoff each time', async () => {
    const slept: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new ccxt.RequestTimeout('slow');
        return 'ok';
      },
      {
        policy: { attempts: 4, baseMs: 10, maxMs: 100 },
        sleep: async (ms) => void slept.push(ms),
        random: () => 1,
      },
    );
    expect(value).toBe('ok');
    expect(slept).toEqual([10, 20]);
  });

  it('gives up after the last attempt with the last error', async () => {
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls += 1;
        throw new ccxt.DDoSProtection(`429 #${calls}`);
      },
      { policy: { attempts: 3, baseMs: 1, maxMs: 1 }, sleep: async () => {} },
    );
    await expect(failing).rejects.toThrow('429 #3');
    expect(calls).toBe(3);
  });

  it('never retries a rejection, a missing order, or our own guards', async () => {
    for (const error of [
      new ccxt.InsufficientFunds('no'),
      new ccxt.OrderNotFound('no'),
      new CircuitOpen(1),
    ]) {
      let calls = 0;
      await expect(
        withRetry(
          async () => {
            calls += 1;
            throw error;
          },
          { sleep: async () => {} },
        ),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });
});
