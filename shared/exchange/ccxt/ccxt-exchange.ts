/**
 * The Exchange port over any ccxt exchange (testnet and live accounts; paper accounts use the
 * paper exchange). One instance per account: the ccxt client carries the account's keys,
 * loaded markets and ccxt's own throttle.
 *
 * Every request to the venue goes through the account's RequestGuard (circuit breaker and
 * shared request budget in Postgres). Reads are retried with backoff on retryable errors;
 * order creation never is (ccxt's `maxRetriesOnFailure` stays 0, and this adapter does not
 * repeat it either): placement.ts decides what follows an unanswered create, by looking the
 * order up by its client id.
 */
import ccxt, { type Exchange as CcxtClient, type Order as CcxtOrder, type MarketInterface } from 'ccxt';
import { classifyExchangeError } from '../errors.ts';
import type {
  BalanceLine,
  Exchange,
  ExchangeOrder,
  Fill,
  MarketInfo,
  OhlcvCandle,
  OrderRef,
  OrderRequest,
  Ticker,
} from '../port.ts';
import {
  type BackoffPolicy,
  backoffDelay,
  DEFAULT_READ_RETRY,
  realSleep,
  type Sleep,
  withRetry,
} from '../retry.ts';
import {
  decimalString,
  exchangeOrder,
  fill,
  type MarketCapabilities,
  marketInfo,
  type OrderDefaults,
  TICK_SIZE,
} from './mapping.ts';
import { prepareOrder, toNumber } from './order-preparation.ts';
import { type RequestGuard, unguarded } from './request-guard.ts';

export type Operation =
  | 'loadMarkets'
  | 'fetchTicker'
  | 'fetchOHLCV'
  | 'createOrder'
  | 'fetchOrder'
  | 'cancelOrder'
  | 'fetchOpenOrders'
  | 'fetchClosedOrders'
  | 'fetchMyTrades'
  | 'fetchBalance';

/** Request weights drawn from the account's budget (Binance's own weights, roughly). */
export const DEFAULT_COSTS: Record<Operation, number> = {
  loadMarkets: 10,
  fetchTicker: 1,
  fetchOHLCV: 1,
  createOrder: 1,
  fetchOrder: 1,
  cancelOrder: 1,
  fetchOpenOrders: 3,
  fetchClosedOrders: 5,
  fetchMyTrades: 5,
  fetchBalance: 5,
};

export interface CcxtExchangeOptions {
  /** Circuit breaker and request budget of the account (default: none). */
  guard?: RequestGuard;
  /** Backoff for reads (default DEFAULT_READ_RETRY). Creation is never retried. */
  readRetry?: BackoffPolicy;
  sleep?: Sleep;
  random?: () => number;
  clock?: () => number;
  /** How long a ticker may stand in as the price of a market order's min-notional check (default 10 s). */
  referencePriceMaxAgeMs?: number;
  costs?: Partial<Record<Operation, number>>;
}

export class CcxtExchange implements Exchange {
  readonly id: string;
  private readonly guard: RequestGuard;
  private readonly readRetry: BackoffPolicy;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly clock: () => number;
  private readonly priceMaxAgeMs: number;
  private readonly costs: Record<Operation, number>;
  private marketsLoaded: Promise<void> | undefined;
  private readonly prices = new Map<
    string,
    { at: number; bid: string | null; ask: string | null; last: string }
  >();

  constructor(
    readonly client: CcxtClient,
    options: CcxtExchangeOptions = {},
  ) {
    this.id = client.id;
    this.guard = options.guard ?? unguarded;
    this.readRetry = options.readRetry ?? DEFAULT_READ_RETRY;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? Date.now;
    this.priceMaxAgeMs = options.referencePriceMaxAgeMs ?? 10_000;
    this.costs = { ...DEFAULT_COSTS, ...options.costs };
  }

  async markets(): Promise<MarketInfo[]> {
    await this.loadMarkets();
    return Object.values(this.client.markets ?? {})
      .filter((m): m is MarketInterface => m !== undefined && m.active !== false)
      .map((m) => this.info(m));
  }

  async market(symbol: string): Promise<MarketInfo> {
    return this.info(await this.ccxtMarket(symbol));
  }

  async ticker(symbol: string): Promise<Ticker> {
    const t = await this.read('fetchTicker', () => this.client.fetchTicker(symbol));
    const last = decimalString(t.last ?? t.close);
    if (last === null) throw new ccxt.BadResponse(`${this.id} ticker for ${symbol} has no last price`);
    const ticker = {
      symbol: t.symbol ?? symbol,
      last,
      bid: decimalString(t.bid),
      ask: decimalString(t.ask),
      timestamp: t.timestamp ?? this.clock(),
    };
    this.prices.set(symbol, { at: this.clock(), bid: ticker.bid, ask: ticker.ask, last });
    return ticker;
  }

  async ohlcv(symbol: string, timeframe: string, since?: number, limit?: number): Promise<OhlcvCandle[]> {
    const rows = await this.read('fetchOHLCV', () => this.client.fetchOHLCV(symbol, timeframe, since, limit));
    return rows.map(([ts, open, high, low, close, volume]) => ({
      ts: Number(ts),
      open: decimalString(open) ?? '0',
      high: decimalString(high) ?? '0',
      low: decimalString(low) ?? '0',
      close: decimalString(close) ?? '0',
      volume: decimalString(volume) ?? '0',
    }));
  }

  /**
   * Rounds, checks the market's limits, and sends once. Throws MarketLimitViolation (an
   * InvalidOrder) without sending when a limit refuses the order.
   */
  async createOrder(request: OrderRequest): Promise<ExchangeOrder> {
    const market = await this.ccxtMarket(request.symbol);
    const info = this.info(market);
    const reference =
      request.type === 'market' && info.minNotional !== null ? await this.referencePrice(request) : null;
    const order = prepareOrder(this.client, market, info, request, reference);
    const created = await this.guard.run('createOrder', this.costs.createOrder, () =>
      this.client.createOrder(
        order.symbol,
        order.type,
        order.side,
        toNumber(order.amount),
        order.price === undefined ? undefined : toNumber(order.price),
        order.params,
      ),
    );
    return exchangeOrder(created, {
      request: {
        clientOrderId: request.clientOrderId,
        symbol: market.symbol,
        side: request.side,
        type: request.type,
        amount: order.amount,
      },
      now: this.clock(),
    });
  }

  async fetchOrder(symbol: string, ref: OrderRef): Promise<ExchangeOrder | null> {
    await this.loadMarkets();
    try {
      const order =
        'exchangeOrderId' in ref
          ? await this.read('fetchOrder', () => this.client.fetchOrder(ref.exchangeOrderId, symbol))
          : await this.fetchByClientId(symbol, ref.clientOrderId);
      return order ? this.mapOrder(order) : null;
    } catch (error) {
      if (classifyExchangeError(error) === 'not_found') return null;
      throw error;
    }
  }

  /**
   * Cancels, and makes sense of the races: a cancel whose answer was lost, or an order that
   * filled just before, is looked up and its final state returned.
   */
  async cancelOrder(symbol: string, ref: OrderRef): Promise<ExchangeOrder> {
    await this.loadMarkets();
    const [id, params] =
      'exchangeOrderId' in ref ? [ref.exchangeOrderId, {}] : ['', { clientOrderId: ref.clientOrderId }];
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await this.guard.run('cancelOrder', this.costs.cancelOrder, () =>
          this.client.cancelOrder(id, symbol, params),
        );
        // Some venues answer a cancel with little more than the id.
        if (answer.status) return this.mapOrder(answer);
        return (await this.fetchOrder(symbol, ref)) ?? this.mapOrder(answer);
      } catch (error) {
        const kind = classifyExchangeError(error);
        if (kind !== 'retryable' && kind !== 'not_found') throw error;
        const current = await this.fetchOrder(symbol, ref);
        if (current && current.status !== 'open' && current.status !== 'partially_filled') return current;
        if (kind === 'not_found' || attempt >= this.readRetry.attempts) throw error;
        await this.sleep(backoffDelay(attempt, this.readRetry, this.random));
      }
    }
  }

  async openOrders(symbol?: string): Promise<ExchangeOrder[]> {
    await this.loadMarkets();
    const orders = await this.read('fetchOpenOrders', () => this.client.fetchOpenOrders(symbol));
    return orders.map((o) => this.mapOrder(o));
  }

  async myTrades(symbol: string, since?: number): Promise<Fill[]> {
    await this.loadMarkets();
    const trades = await this.read('fetchMyTrades', () => this.client.fetchMyTrades(symbol, since));
    return trades.map(fill);
  }

  /** Every asset with a non-zero total. */
  async balance(): Promise<BalanceLine[]> {
    await this.loadMarkets();
    const balances = await this.read('fetchBalance', () => this.client.fetchBalance());
    const totals = (balances.total ?? {}) as unknown as Record<string, number | undefined>;
    const free = (balances.free ?? {}) as unknown as Record<string, number | undefined>;
    const used = (balances.used ?? {}) as unknown as Record<string, number | undefined>;
    return Object.keys(totals)
      .filter((asset) => (decimalString(totals[asset]) ?? '0') !== '0')
      .sort()
      .map((asset) => ({
        asset,
        free: decimalString(free[asset]) ?? '0',
        used: decimalString(used[asset]) ?? '0',
        total: decimalString(totals[asset]) ?? '0',
      }));
  }

  /**
   * By client id: ccxt's unified `clientOrderId` param (Binance sends it as
   * origClientOrderId). A venue that cannot look up by client id that way is searched in its
   * open and recent closed orders instead.
   */
  private async fetchByClientId(symbol: string, clientOrderId: string): Promise<CcxtOrder | null> {
    try {
      const order = await this.read('fetchOrder', () =>
        this.client.fetchOrder('', symbol, { clientOrderId }),
      );
      return order.clientOrderId === undefined || order.clientOrderId === clientOrderId ? order : null;
    } catch (error) {
      if (!(error instanceof ccxt.ArgumentsRequired || error instanceof ccxt.NotSupported)) throw error;
    }
    const open = await this.read('fetchOpenOrders', () => this.client.fetchOpenOrders(symbol));
    const found = open.find((o) => o.clientOrderId === clientOrderId);
    if (found || !this.client.has['fetchClosedOrders']) return found ?? null;
    const since = this.clock() - 24 * 3_600_000;
    const closed = await this.read('fetchClosedOrders', () => this.client.fetchClosedOrders(symbol, since));
    return closed.find((o) => o.clientOrderId === clientOrderId) ?? null;
  }

  private mapOrder(order: CcxtOrder): ExchangeOrder {
    const defaults: OrderDefaults = { now: this.clock() };
    return exchangeOrder(order, defaults);
  }

  /** The side's best price for a market order's notional, from a recent ticker (one request at most every few seconds). */
  private async referencePrice(request: OrderRequest): Promise<string> {
    let cached = this.prices.get(request.symbol);
    if (!cached || this.clock() - cached.at > this.priceMaxAgeMs) {
      await this.ticker(request.symbol);
      cached = this.prices.get(request.symbol)!;
    }
    return (request.side === 'buy' ? cached.ask : cached.bid) ?? cached.last;
  }

  private async ccxtMarket(symbol: string): Promise<MarketInterface> {
    await this.loadMarkets();
    return this.client.market(symbol) as MarketInterface; // BadSymbol when the venue has no such market
  }

  private loadMarkets(): Promise<void> {
    this.marketsLoaded ??= this.read('loadMarkets', () => this.client.loadMarkets()).then(
      () => undefined,
      (error: unknown) => {
        this.marketsLoaded = undefined; // a later call tries again
        throw error;
      },
    );
    return this.marketsLoaded;
  }

  private info(market: MarketInterface): MarketInfo {
    return marketInfo(market, this.client.precisionMode ?? TICK_SIZE, capabilities(this.client, market));
  }

  private read<T>(operation: Operation, call: () => Promise<T>): Promise<T> {
    return withRetry(() => this.guard.run(operation, this.costs[operation], call), {
      policy: this.readRetry,
      sleep: this.sleep,
      random: this.random,
    });
  }
}

/**
 * What the venue does natively for this market, from ccxt's `features` (per market type)
 * where it has them, else from `has`. Reduce-only exists for derivatives only.
 */
export function capabilities(client: CcxtClient, market: MarketInterface): MarketCapabilities {
  type CreateFeatures = { stopLossPrice?: boolean; takeProfitPrice?: boolean; reduceOnly?: boolean };
  type Group = { createOrder?: CreateFeatures; linear?: Group; inverse?: Group } | undefined;
  const features = (client.features ?? {}) as Record<string, Group>;
  let group: Group;
  if (market.spot) group = features['spot'];
  else {
    const kind = market.swap ? features['swap'] : market.future ? features['future'] : undefined;
    group = (market.inverse ? kind?.inverse : kind?.linear) ?? kind;
  }
  const create = group?.createOrder;
  const has = client.has as Record<string, unknown>;
  return {
    nativeStopLoss: create ? create.stopLossPrice === true : has['createStopLossOrder'] === true,
    nativeTakeProfit: create ? create.takeProfitPrice === true : has['createTakeProfitOrder'] === true,
    reduceOnly: market.contract === true && (create?.reduceOnly ?? has['createReduceOnlyOrder']) === true,
  };
}
