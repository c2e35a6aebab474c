/**
 * Why the engine refuses a request. The reasons are venue-neutral; the exchange server maps each
 * one to the error code and message the real venue would send.
 */
export type RejectionReason =
  | 'unknown-symbol'
  | 'no-market-price'
  | 'filter'
  | 'insufficient-balance'
  | 'duplicate-client-order-id'
  | 'would-trigger-immediately'
  | 'would-take'
  | 'invalid-order'
  | 'unknown-order';

/** The exchange filter an order failed, named as Binance names it in `Filter failure: …`. */
export type FilterName = 'PRICE_FILTER' | 'LOT_SIZE' | 'NOTIONAL';

export class OrderRejected extends Error {
  readonly reason: RejectionReason;
  readonly filter: FilterName | undefined;

  constructor(reason: RejectionReason, message: string, filter?: FilterName) {
    super(message);
    this.name = 'OrderRejected';
    this.reason = reason;
    this.filter = filter;
  }
}
