/**
 * Errors exactly as Binance spot sends them (`{code, msg}` and the HTTP status), because ccxt
 * classifies errors by these codes and messages: the text matters, not just the number.
 * (ccxt 4.5.84, binance.js `exceptions` and `handleErrors`.)
 */
import type { OrderRejected } from '../../shared/exchange/matching/rejections.ts';

export class BinanceError extends Error {
  readonly status: number;
  readonly code: number;

  constructor(status: number, code: number, msg: string) {
    super(msg);
    this.name = 'BinanceError';
    this.status = status;
    this.code = code;
  }

  body(): { code: number; msg: string } {
    return { code: this.code, msg: this.message };
  }
}

export const errors = {
  /** ccxt: BadRequest. */
  mandatory: (param: string) =>
    new BinanceError(
      400,
      -1102,
      `Mandatory parameter '${param}' was not sent, was empty/null, or malformed.`,
    ),
  eitherParam: (a: string, b: string) =>
    new BinanceError(400, -1102, `Param '${a}' or '${b}' must be sent, but both were empty/null!`),
  illegalCharacters: (param: string, legalRange: string) =>
    new BinanceError(
      400,
      -1100,
      `Illegal characters found in parameter '${param}'; legal range is '${legalRange}'.`,
    ),
  invalidSide: () => new BinanceError(400, -1117, 'Invalid side.'),
  invalidOrderType: () => new BinanceError(400, -1116, 'Invalid orderType.'),
  invalidTimeInForce: () => new BinanceError(400, -1115, 'Invalid timeInForce.'),
  invalidInterval: () => new BinanceError(400, -1120, 'Invalid interval.'),
  /** ccxt: BadSymbol. */
  invalidSymbol: () => new BinanceError(400, -1121, 'Invalid symbol.'),
  /** ccxt: InvalidOrder for LOT_SIZE / PRICE_FILTER (matched in the body), BadRequest for NOTIONAL. */
  filterFailure: (filter: string) => new BinanceError(400, -1013, `Filter failure: ${filter}`),
  /** ccxt: InsufficientFunds (matched by message). */
  insufficientBalance: () =>
    new BinanceError(400, -2010, 'Account has insufficient balance for requested action.'),
  /** ccxt: InvalidOrder (-2010). */
  duplicateOrder: () => new BinanceError(400, -2010, 'Duplicate order sent.'),
  /** ccxt: OrderImmediatelyFillable (matched by message). */
  stopWouldTrigger: () => new BinanceError(400, -2010, 'Stop price would trigger immediately.'),
  wouldTake: () => new BinanceError(400, -2010, 'Order would immediately match and take.'),
  /** ccxt: OrderNotFound. */
  orderDoesNotExist: () => new BinanceError(400, -2013, 'Order does not exist.'),
  unknownOrder: () => new BinanceError(400, -2011, 'Unknown order sent.'),
  /** ccxt: AuthenticationError. */
  badSignature: () => new BinanceError(400, -1022, 'Signature for this request is not valid.'),
  apiKeyFormat: () => new BinanceError(401, -2014, 'API-key format invalid.'),
  invalidApiKey: () => new BinanceError(401, -2015, 'Invalid API-key, IP, or permissions for action.'),
  /** ccxt: DDoSProtection (binance maps every HTTP 429 and 418 to it, before looking at the code). */
  tooManyRequests: () =>
    new BinanceError(
      429,
      -1003,
      'Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use WebSocket Streams for live updates to avoid polling the API.',
    ),
  banned: (until: number) =>
    new BinanceError(
      418,
      -1003,
      `Way too many requests; IP(127.0.0.1) banned until ${until}. Please use WebSocket Streams for live updates to avoid bans.`,
    ),
  /** ccxt: BadRequest. Unknown endpoints answer 404 with this. */
  unsupported: () => new BinanceError(404, -1020, 'This operation is not supported.'),
  /** ccxt: OperationFailed. */
  unknownError: () => new BinanceError(500, -1000, 'An unknown error occurred while processing the request.'),
};

/** The Binance answer to an order the matching engine refused. `cancel` selects the cancel wording. */
export function fromRejection(
  rejection: OrderRejected,
  context: 'place' | 'query' | 'cancel' = 'place',
): BinanceError {
  switch (rejection.reason) {
    case 'unknown-symbol':
      return errors.invalidSymbol();
    case 'filter':
      return errors.filterFailure(rejection.filter ?? 'LOT_SIZE');
    case 'insufficient-balance':
      return errors.insufficientBalance();
    case 'duplicate-client-order-id':
      return errors.duplicateOrder();
    case 'would-trigger-immediately':
      return errors.stopWouldTrigger();
    case 'would-take':
      return errors.wouldTake();
    case 'unknown-order':
      return context === 'cancel' ? errors.unknownOrder() : errors.orderDoesNotExist();
    case 'no-market-price':
      return new BinanceError(400, -1013, 'Market is closed.');
    case 'invalid-order':
      return new BinanceError(400, -1102, rejection.message);
  }
}
