/**
 * A matching engine for one simulated spot venue: resting orders per account, matched against a
 * replayed price feed (one candle at a time) instead of other traders.
 *
 * - MARKET orders fill at once at the ask (buy) or bid (sell), moved by the configured slippage.
 * - LIMIT orders that are marketable when placed fill at once as taker (never worse than their
 *   limit); otherwise they rest and fill as maker, at their limit price, on the first candle
 *   whose range reaches it (buy: low ≤ limit; sell: high ≥ limit).
 * - STOP_LOSS / TAKE_PROFIT (and their _LIMIT forms) wait for a candle to cross their stop price
 *   (directions in `triggers.ts`), then act as a market or limit order.
 * - With a partial-fill fraction, each fill event (placement or one candle) fills at most that
 *   fraction of the original quantity; the rest of a limit order waits for later candles, the
 *   rest of a market order expires (a market order never rests on Binance).
 * - Balances are held (locked) for resting orders when placed; an order the account cannot pay
 *   for is refused whole.
 *
 * Time is always passed in, so a replay is deterministic. The engine has no I/O.
 */
import { type Dec, type DecimalLike, dec } from '../../money/decimal.ts';
import { Balances } from './balances.ts';
import { type FeeSchedule, feeSchedule, settleFill, worstRate } from './fees.ts';
import { checkNotional, checkPrice, checkQuantity } from './filters.ts';
import { quoteAround, slipped, takerPrice } from './quotes.ts';
import { OrderRejected } from './rejections.ts';
import { truncateToStep } from './rounding.ts';
import {
  actsAsLimit,
  isTriggered,
  triggerDirection,
  triggeredAtPrice,
  triggerPriceInCandle,
} from './triggers.ts';
import type {
  BalanceLine,
  Candle,
  FeeMode,
  Fill,
  MarketSpec,
  NewOrder,
  Order,
  OrderStatus,
  Quote,
  Side,
} from './types.ts';

export interface MatchingEngineOptions {
  /** Defaults: 0.1 % maker and taker, charged in the received asset (Binance). */
  fees?: { maker?: DecimalLike; taker?: DecimalLike; mode?: FeeMode };
  /** Extra price movement against every taker fill, in basis points. Default 0. */
  slippageBps?: DecimalLike;
  /** Bid/ask spread around the last price, in basis points; at least one tick each side. Default 0. */
  spreadBps?: DecimalLike;
  /** Fill at most this fraction of an order's quantity per fill event (0 < f ≤ 1). Default: whole fills. */
  partialFillFraction?: DecimalLike;
}

export interface PlaceOptions {
  /** Overrides the engine's partial-fill fraction for this order (fault injection). */
  partialFillFraction?: DecimalLike;
}

export type OrderRef = { orderId: number } | { clientOrderId: string };

const OPEN: readonly OrderStatus[] = ['NEW', 'PARTIALLY_FILLED'];

export function isOpen(order: Order): boolean {
  return OPEN.includes(order.status);
}

export class MatchingEngine {
  readonly fees: FeeSchedule;
  private readonly slippageBps: Dec;
  private readonly spreadBps: Dec;
  private readonly partialFillFraction: Dec | undefined;
  private readonly balances = new Balances();
  private readonly markets = new Map<string, MarketSpec>();
  private readonly quotes = new Map<string, Quote>();
  private readonly candles = new Map<string, Candle>();
  private readonly orders: Order[] = [];
  private readonly trades: Fill[] = [];
  private nextOrderId = 1;
  private nextTradeId = 1;

  constructor(options: MatchingEngineOptions = {}) {
    this.fees = feeSchedule(options.fees);
    this.slippageBps = dec(options.slippageBps ?? 0);
    this.spreadBps = dec(options.spreadBps ?? 0);
    this.partialFillFraction = fraction(options.partialFillFraction);
  }

  listMarket(spec: MarketSpec): void {
    this.markets.set(spec.symbol, spec);
  }

  market(symbol: string): MarketSpec | undefined {
    return this.markets.get(symbol);
  }

  marketList(): MarketSpec[] {
    return [...this.markets.values()];
  }

  openAccount(account: string, initial: Record<string, DecimalLike>): void {
    this.balances.open(account, initial);
  }

  hasAccount(account: string): boolean {
    return this.balances.has(account);
  }

  balanceLines(account: string): BalanceLine[] {
    return this.balances.list(account);
  }

  quote(symbol: string): Quote | undefined {
    return this.quotes.get(symbol);
  }

  lastCandle(symbol: string): Candle | undefined {
    return this.candles.get(symbol);
  }

  /**
   * Moves the market to a new candle (its close becomes the last price) and matches every open
   * order of that market against the candle's range, oldest first. Returns the orders that changed.
   */
  applyCandle(symbol: string, candle: Candle, now: number): Order[] {
    const market = this.requireMarket(symbol);
    this.candles.set(symbol, candle);
    this.quotes.set(symbol, quoteAround(market, candle.close, this.spreadBps, now));
    const changed: Order[] = [];
    for (const order of this.orders.filter((o) => o.symbol === symbol && isOpen(o))) {
      if (this.matchAgainstCandle(market, order, candle, now)) changed.push(order);
    }
    return changed;
  }

  /** Validates, funds and (where it can) fills a new order. Throws `OrderRejected` when refused. */
  placeOrder(request: NewOrder, now: number, options: PlaceOptions = {}): Order {
    const market = this.requireMarket(request.symbol);
    const quote = this.quotes.get(request.symbol);
    if (!quote) throw new OrderRejected('no-market-price', 'No market price yet for this symbol.');
    if (!this.balances.has(request.account)) throw new Error(`unknown account ${request.account}`);
    const limit = actsAsLimit(request.type);
    const triggered = isTriggered(request.type);
    if (limit) checkPrice(market, required(request.price, 'price'));
    if (triggered) checkPrice(market, required(request.stopPrice, 'stopPrice'));
    if (this.findOpenByClientId(request.account, request.symbol, request.clientOrderId)) {
      throw new OrderRejected('duplicate-client-order-id', 'Duplicate order sent.');
    }

    const marketPrice = takerPrice(market, request.side, quote, this.slippageBps);
    let qty: Dec;
    if (request.type === 'MARKET' && request.quantity === undefined && request.quoteOrderQty !== undefined) {
      qty = truncateToStep(request.quoteOrderQty.div(marketPrice), market.stepSize);
    } else {
      qty = required(request.quantity, 'quantity');
    }
    checkQuantity(market, qty);
    const notionalPrice = limit ? request.price! : triggered ? request.stopPrice! : marketPrice;
    checkNotional(market, notionalPrice, qty);
    if (
      triggered &&
      triggeredAtPrice(triggerDirection(request.type, request.side), request.stopPrice!, quote.last)
    ) {
      throw new OrderRejected('would-trigger-immediately', 'Stop price would trigger immediately.');
    }
    const marketable = limit && !triggered && isMarketable(request.side, request.price!, quote);
    if (request.type === 'LIMIT_MAKER' && marketable) {
      throw new OrderRejected('would-take', 'Order would immediately match and take.');
    }

    const order: Order = {
      orderId: 0,
      clientOrderId: request.clientOrderId,
      account: request.account,
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      timeInForce: request.timeInForce ?? 'GTC',
      price: limit ? request.price! : dec(0),
      stopPrice: triggered ? request.stopPrice! : dec(0),
      origQty: qty,
      origQuoteOrderQty: request.quantity === undefined ? (request.quoteOrderQty ?? dec(0)) : dec(0),
      executedQty: dec(0),
      cummulativeQuoteQty: dec(0),
      status: 'NEW',
      time: now,
      updateTime: now,
      workingTime: triggered ? undefined : now,
      fills: [],
      locked: dec(0),
      lockedAsset: request.side === 'BUY' ? market.quote : market.base,
      partialFillFraction: fraction(options.partialFillFraction),
    };

    if (request.type === 'MARKET') {
      this.ensureCanPay(market, order, qty, marketPrice);
    } else {
      const hold = this.requiredLock(order);
      this.balances.lock(order.account, order.lockedAsset, hold);
      order.locked = hold;
    }
    order.orderId = this.nextOrderId++;
    this.orders.push(order);

    if (request.type === 'MARKET') {
      this.takeNow(market, order, marketPrice, now);
      this.finish(order, 'EXPIRED', now);
    } else if (marketable) {
      const price =
        request.side === 'BUY' ? minOf(request.price!, marketPrice) : maxOf(request.price!, marketPrice);
      if (order.timeInForce === 'FOK' && this.chunk(market, order).lt(order.origQty)) {
        this.finish(order, 'EXPIRED', now);
      } else {
        this.takeNow(market, order, price, now);
        if (order.timeInForce !== 'GTC') this.finish(order, 'EXPIRED', now);
      }
    } else if (limit && order.timeInForce !== 'GTC') {
      this.finish(order, 'EXPIRED', now);
    }
    return order;
  }

  cancelOrder(account: string, symbol: string, ref: OrderRef, now: number): Order {
    const order = this.findOrder(account, symbol, ref);
    if (!order || !isOpen(order)) throw new OrderRejected('unknown-order', 'Unknown order sent.');
    this.finish(order, 'CANCELED', now);
    return order;
  }

  cancelOpenOrders(account: string, symbol: string, now: number): Order[] {
    const open = this.openOrders(account, symbol);
    for (const order of open) this.finish(order, 'CANCELED', now);
    return open;
  }

  /** The order with this id, or the newest order with this client id, in the account and market. */
  findOrder(account: string, symbol: string, ref: OrderRef): Order | undefined {
    const mine = this.accountOrders(account, symbol);
    if ('orderId' in ref) return mine.find((o) => o.orderId === ref.orderId);
    return mine.filter((o) => o.clientOrderId === ref.clientOrderId).at(-1);
  }

  openOrders(account: string, symbol?: string): Order[] {
    return this.accountOrders(account, symbol).filter(isOpen);
  }

  accountOrders(account: string, symbol?: string): Order[] {
    return this.orders.filter((o) => o.account === account && (symbol === undefined || o.symbol === symbol));
  }

  /** Every order ever accepted, oldest first. */
  allOrders(): readonly Order[] {
    return this.orders;
  }

  accountTrades(account: string, symbol?: string): Fill[] {
    return this.trades.filter((t) => t.account === account && (symbol === undefined || t.symbol === symbol));
  }

  private matchAgainstCandle(market: MarketSpec, order: Order, candle: Candle, now: number): boolean {
    let triggeredNow = false;
    if (order.workingTime === undefined) {
      const reference = triggerPriceInCandle(
        triggerDirection(order.type, order.side),
        order.stopPrice,
        candle,
      );
      if (reference === undefined) return false;
      order.workingTime = now;
      order.updateTime = now;
      triggeredNow = true;
      if (!actsAsLimit(order.type)) {
        this.takeNow(market, order, slipped(market, order.side, reference, this.slippageBps), now);
        this.finish(order, 'EXPIRED', now);
        return true;
      }
      if (isMarketable(order.side, order.price, { bid: reference, ask: reference })) {
        const taker = slipped(market, order.side, reference, this.slippageBps);
        const price = order.side === 'BUY' ? minOf(order.price, taker) : maxOf(order.price, taker);
        this.takeNow(market, order, price, now);
        return true;
      }
    }
    const reached = order.side === 'BUY' ? candle.low.lte(order.price) : candle.high.gte(order.price);
    if (!reached) return triggeredNow;
    this.fill(market, order, this.chunk(market, order), order.price, true, now);
    return true;
  }

  /** A taker fill of the next chunk at `price`; an account that cannot pay expires the order. */
  private takeNow(market: MarketSpec, order: Order, price: Dec, now: number): void {
    try {
      this.fill(market, order, this.chunk(market, order), price, false, now);
    } catch (error) {
      if (!(error instanceof OrderRejected)) throw error;
      this.finish(order, 'EXPIRED', now);
    }
  }

  private fill(market: MarketSpec, order: Order, qty: Dec, price: Dec, isMaker: boolean, now: number): void {
    const settlement = settleFill(market, order.side, qty, price, isMaker, this.fees);
    const fromLocked =
      order.lockedAsset === settlement.pay.asset ? minOf(order.locked, settlement.pay.amount) : dec(0);
    this.balances.debit(order.account, settlement.pay.asset, settlement.pay.amount, fromLocked);
    this.balances.credit(order.account, settlement.receive.asset, settlement.receive.amount);
    order.locked = order.locked.minus(fromLocked);
    const trade: Fill = {
      tradeId: this.nextTradeId++,
      orderId: order.orderId,
      account: order.account,
      symbol: order.symbol,
      side: order.side,
      price,
      qty,
      quoteQty: price.mul(qty),
      commission: settlement.commission,
      commissionAsset: settlement.commissionAsset,
      isMaker,
      time: now,
    };
    this.trades.push(trade);
    order.fills.push(trade);
    order.executedQty = order.executedQty.plus(qty);
    order.cummulativeQuoteQty = order.cummulativeQuoteQty.plus(trade.quoteQty);
    order.updateTime = now;
    if (order.executedQty.gte(order.origQty)) {
      this.finish(order, 'FILLED', now);
    } else {
      order.status = 'PARTIALLY_FILLED';
      this.releaseExcess(order);
    }
  }

  /** Ends an open order with `status` and gives back whatever it still holds. No-op once ended. */
  private finish(order: Order, status: OrderStatus, now: number): void {
    if (!isOpen(order)) return;
    order.status = status;
    order.updateTime = now;
    if (order.locked.gt(0)) this.balances.unlock(order.account, order.lockedAsset, order.locked);
    order.locked = dec(0);
  }

  /** After a fill at a better price than reserved, keep only what the remaining quantity needs. */
  private releaseExcess(order: Order): void {
    const excess = order.locked.minus(this.requiredLock(order));
    if (excess.gt(0)) {
      this.balances.unlock(order.account, order.lockedAsset, excess);
      order.locked = order.locked.minus(excess);
    }
  }

  /** What a resting order holds: base for a sell; for a buy, quote at its limit (or stop) price. */
  private requiredLock(order: Order): Dec {
    const remaining = order.origQty.minus(order.executedQty);
    if (order.side === 'SELL') return remaining;
    const unit = actsAsLimit(order.type) ? order.price : order.stopPrice;
    const notional = unit.mul(remaining);
    return this.fees.mode === 'quote' ? notional.mul(worstRate(this.fees).plus(1)) : notional;
  }

  /** A market order is refused whole when the account cannot pay for all of it now. */
  private ensureCanPay(market: MarketSpec, order: Order, qty: Dec, price: Dec): void {
    const pay = settleFill(market, order.side, qty, price, false, this.fees).pay;
    if (this.balances.free(order.account, pay.asset).lt(pay.amount)) {
      throw new OrderRejected(
        'insufficient-balance',
        'Account has insufficient balance for requested action.',
      );
    }
  }

  /** How much the next fill event may fill: the rest, or the partial-fill fraction of the original. */
  private chunk(market: MarketSpec, order: Order): Dec {
    const remaining = order.origQty.minus(order.executedQty);
    const f = order.partialFillFraction ?? this.partialFillFraction;
    if (f === undefined) return remaining;
    const part = truncateToStep(order.origQty.mul(f), market.stepSize);
    const atLeastOneStep = part.gt(0) ? part : market.stepSize;
    return minOf(atLeastOneStep, remaining);
  }

  private findOpenByClientId(account: string, symbol: string, clientOrderId: string): Order | undefined {
    return this.openOrders(account, symbol).find((o) => o.clientOrderId === clientOrderId);
  }

  private requireMarket(symbol: string): MarketSpec {
    const market = this.markets.get(symbol);
    if (!market) throw new OrderRejected('unknown-symbol', 'Invalid symbol.');
    return market;
  }
}

function isMarketable(side: Side, limit: Dec, book: { bid: Dec; ask: Dec }): boolean {
  return side === 'BUY' ? limit.gte(book.ask) : limit.lte(book.bid);
}

function required(value: Dec | undefined, name: string): Dec {
  if (value === undefined)
    throw new OrderRejected('invalid-order', `Mandatory parameter '${name}' was not sent.`);
  return value;
}

function fraction(value: DecimalLike | undefined): Dec | undefined {
  if (value === undefined) return undefined;
  const f = dec(value);
  if (f.lte(0) || f.gt(1)) throw new Error(`partial-fill fraction must be in (0, 1], got ${f.toString()}`);
  return f.eq(1) ? undefined : f;
}

function minOf(a: Dec, b: Dec): Dec {
  return a.lt(b) ? a : b;
}

function maxOf(a: Dec, b: Dec): Dec {
  return a.gt(b) ? a : b;
}
