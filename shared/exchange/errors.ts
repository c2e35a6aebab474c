/**
 * The error policy: what an exchange error means for the order or read that raised it.
 *
 * ccxt turns every venue's answers into one class hierarchy (ccxt/js/src/base/errors.js).
 * We sort those classes into what the caller must do next:
 *
 * - `retryable` — NetworkError and its family (RequestTimeout, ExchangeNotAvailable,
 *   DDoSProtection, RateLimitExceeded, InvalidNonce, OnMaintenance). A read may simply be
 *   repeated after a backoff. An order creation may NOT: its outcome is unknown (the venue
 *   may have accepted it before the connection broke), so placement looks the order up by
 *   client id first.
 * - `rejected` — the venue answered and said no (InsufficientFunds, InvalidOrder, BadSymbol,
 *   BadRequest, AuthenticationError, PermissionDenied, …). Repeating changes nothing; the
 *   order is `rejected` with the reason.
 * - `not_found` — OrderNotFound: the venue has no such order (checked before InvalidOrder,
 *   its parent class).
 * - `duplicate` — the venue already holds an order with this client id (DuplicateOrderId, or
 *   Binance's -2010 "Duplicate order sent.", which ccxt raises as InvalidOrder). Not a
 *   rejection: the order exists, go and find it.
 * - `not_sent` — our own guards (circuit breaker, request budget) refused before any request
 *   left; the venue has certainly not seen it.
 * - `ambiguous` — any other ccxt error (a bare ExchangeError, BadResponse, …): we cannot tell
 *   whether an order went through, so look it up, and do not repeat it blindly.
 * - `bug` — not an exchange error at all (a TypeError, a crash stand-in): propagate.
 */
import ccxt from 'ccxt';
import { OrderRejected } from './matching/rejections.ts';

export type ErrorClass =
  | 'retryable'
  | 'rejected'
  | 'not_found'
  | 'duplicate'
  | 'not_sent'
  | 'ambiguous'
  | 'bug';

/** A refusal by our own guards: no request was sent. */
export class RequestNotSent extends Error {
  readonly notSent = true;
  constructor(message: string) {
    super(message);
    this.name = 'RequestNotSent';
  }
}

/** The account's circuit breaker is open: requests are refused until a probe succeeds. */
export class CircuitOpen extends RequestNotSent {
  constructor(readonly accountId: number) {
    super(`exchange circuit for account ${accountId} is open after repeated failures; not sent`);
    this.name = 'CircuitOpen';
  }
}

/** The account's shared request budget stayed empty for longer than the caller would wait. */
export class RequestBudgetExhausted extends RequestNotSent {
  constructor(
    readonly accountId: number,
    readonly waitedMs: number,
  ) {
    super(`request budget of account ${accountId} exhausted (waited ${waitedMs} ms); not sent`);
    this.name = 'RequestBudgetExhausted';
  }
}

export type MarketLimit =
  | 'min_amount'
  | 'max_amount'
  | 'min_notional'
  | 'min_price'
  | 'max_price'
  | 'precision';

/**
 * An order the market's limits refuse, caught before sending (Binance's NOTIONAL filter
 * failure, for one, comes back from ccxt as a bare BadRequest). An InvalidOrder, so every
 * caller that handles ccxt's class handles this one too.
 */
export class MarketLimitViolation extends ccxt.InvalidOrder {
  constructor(
    readonly limit: MarketLimit,
    message: string,
  ) {
    super(message);
    this.name = 'MarketLimitViolation';
  }
}

const REJECTED = [
  ccxt.InsufficientFunds,
  ccxt.InvalidOrder,
  ccxt.BadRequest, // BadSymbol is a BadRequest
  ccxt.AuthenticationError, // PermissionDenied, AccountSuspended, AccountNotEnabled
  ccxt.ArgumentsRequired,
  ccxt.NotSupported,
  ccxt.OperationRejected, // MarketClosed, RestrictedLocation, …
  ccxt.InvalidAddress,
];

export function classifyExchangeError(error: unknown): ErrorClass {
  if (error instanceof RequestNotSent) return 'not_sent';
  // The paper venue answers with the matching engine's typed refusal: a venue's answer, like
  // the ccxt error a real exchange's answer becomes, never a bug.
  if (error instanceof OrderRejected) {
    if (error.reason === 'unknown-order') return 'not_found';
    if (error.reason === 'duplicate-client-order-id') return 'duplicate';
    return 'rejected';
  }
  if (!(error instanceof ccxt.BaseError)) return 'bug';
  if (error instanceof ccxt.NetworkError) return 'retryable';
  if (error instanceof ccxt.OrderNotFound) return 'not_found';
  if (error instanceof ccxt.DuplicateOrderId || isDuplicateClientId(error)) return 'duplicate';
  if (REJECTED.some((kind) => error instanceof kind)) return 'rejected';
  return 'ambiguous';
}

export function isRetryable(error: unknown): boolean {
  return classifyExchangeError(error) === 'retryable';
}

/**
 * Whether the venue certainly did not act on the request: it refused it before processing
 * (HTTP 429/418 rate limit or ban — ccxt's DDoSProtection/RateLimitExceeded —, or a timestamp
 * outside the receive window, InvalidNonce), or our own guards never sent it. Only then may
 * an order creation be sent again at once. A timeout, a dropped connection or a 5xx leaves the
 * outcome unknown: Binance documents a 5xx as "execution status UNKNOWN", and a request held
 * in a queue can still execute after the client gave up.
 */
export function wasRefusedBeforeProcessing(error: unknown): boolean {
  return (
    error instanceof RequestNotSent ||
    error instanceof ccxt.DDoSProtection ||
    error instanceof ccxt.RateLimitExceeded ||
    error instanceof ccxt.InvalidNonce
  );
}

/**
 * Whether a failure says something about the venue's health (counted by the circuit breaker):
 * network trouble and unexplained errors do; a clear answer (a rejection, "no such order")
 * means the venue is up and talking.
 */
export function isVenueFailure(error: unknown): boolean {
  const kind = classifyExchangeError(error);
  return kind === 'retryable' || kind === 'ambiguous';
}

/** One line for status_reason: the ccxt class and the venue's message, without stack or secrets. */
export function describeExchangeError(error: unknown): string {
  if (error instanceof Error) {
    const text = `${error.name || error.constructor.name}: ${error.message}`;
    return text.length > 500 ? `${text.slice(0, 497)}...` : text;
  }
  return String(error);
}

function isDuplicateClientId(error: Error): boolean {
  return error instanceof ccxt.InvalidOrder && /duplicate/i.test(error.message);
}
