/**
 * The paper venue refuses with its own OrderRejected (a plain Error), while placement, the sync
 * job and the pipeline sort exchange errors by ccxt's classes (shared/exchange/errors.ts), where
 * anything else counts as a bug and propagates. So the worker sees the paper venue through this
 * wrapper: each refusal becomes the ccxt error the real venue's answer becomes — an order the
 * venue refuses is `rejected`, a cancel of an order already gone is `not_found` — exactly as
 * with a testnet or live account. Every other property (the venue's `advance`, which the sync
 * job calls) passes through untouched.
 */
import ccxt from 'ccxt';
import { OrderRejected } from '../exchange/matching/rejections.ts';

const AS_CCXT: Record<OrderRejected['reason'], new (message: string) => Error> = {
  'unknown-symbol': ccxt.BadSymbol,
  'no-market-price': ccxt.InvalidOrder,
  filter: ccxt.InvalidOrder,
  'insufficient-balance': ccxt.InsufficientFunds,
  'duplicate-client-order-id': ccxt.DuplicateOrderId,
  'would-trigger-immediately': ccxt.InvalidOrder,
  'would-take': ccxt.InvalidOrder,
  'invalid-order': ccxt.InvalidOrder,
  'unknown-order': ccxt.OrderNotFound,
};

export function asCcxtError(error: unknown): unknown {
  if (!(error instanceof OrderRejected)) return error;
  const Class = AS_CCXT[error.reason] ?? ccxt.InvalidOrder;
  const mapped = new Class(error.message);
  (mapped as Error & { cause?: unknown }).cause = error;
  return mapped;
}

export function withCcxtErrors<T extends object>(venue: T): T {
  return new Proxy(venue, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          const result = value.apply(target, args);
          return result instanceof Promise
            ? result.catch((error: unknown) => {
                throw asCcxtError(error);
              })
            : result;
        } catch (error) {
          throw asCcxtError(error);
        }
      };
    },
  });
}
