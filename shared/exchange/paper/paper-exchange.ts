/**
 * The paper exchange: the Exchange port for accounts in mode `paper` (the default).
 *
 * - Prices are the market data the rest of the system sees: the newest candle of the symbol in
 *   `public.candles` for the configured feed (`priceSource`, default `paper`; point it at e.g.
 *   `binance` to paper-trade on ingested live data). There is no private feed.
 * - Orders follow the matching engine's rules (`../matching/engine.ts`): market orders fill at
 *   once at the ask/bid of the last close, moved by the configured slippage; limit, stop-loss and
 *   take-profit orders rest and fill when a later candle crosses their price; maker/taker fees in
 *   the received asset (Binance: base on buys, quote on sells) or always in quote; optional
 *   partial fills. Placement runs the engine itself; resting orders are matched by
 *   `resting.ts` with the engine's building blocks (see there why).
 * - State lives in the database (`store.ts`): a new instance on the same database, after a
 *   restart, sees the same balances, book and fills. Every change happens in one transaction
 *   that first locks the account's balance rows, so concurrent orders never overspend.
 * - Resting orders are matched by `advance(now)`, which the sync job calls when new candles
 *   have arrived; placing or cancelling an order first advances its market, so the book is
 *   always current before it changes. Reads (fetchOrder, openOrders, balance) do not match.
 *
 * Approximation: a candle is matched whole against a resting order, including the part of the
 * candle that may have traded before the order was placed mid-candle (candles have no finer
 * timeline). Orders placed on a market whose newest candle is older than `maxPriceAgeMs` are
 * refused, so a stalled feed never fills an order at a stale price.
 */
import type { SqlClient, SqlQueryable } from '../../db/sql.ts';
import type { Candle as StoredCandle } from '../../market-data/candle.ts';
import type { CandleSeries } from '../../market-data/candle-store.ts';
import { candleSymbols, latestCandle, latestCandles, readCandles } from '../../market-data/candle-store.ts';
import { timeframeToMs } from '../../market-data/timeframe.ts';
import { type Dec, type DecimalLike, dec, toDecimalString } from '../../money/decimal.ts';
import { Balances } from '../matching/balances.ts';
import { MatchingEngine } from '../matching/engine.ts';
import { type FeeSchedule, feeSchedule } from '../matching/fees.ts';
import { quoteAround } from '../matching/quotes.ts';
import { OrderRejected } from '../matching/rejections.ts';
import { isTriggered } from '../matching/triggers.ts';
import type { Candle, FeeMode, MarketSpec, Order } from '../matching/types.ts';
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
import { marketInfo, type PaperMarketFilters, paperMarketSpec, splitSymbol } from './markets.ts';
import { isOpenStatus, matchRestingOrder } from './resting.ts';
import {
  type BalanceMap,
  clientOrderIdTaken,
  findOrder,
  insertOrder,
  listOrders,
  listTrades,
  lockBalances,
  lockOpenOrders,
  type PaperAccount,
  type PaperOrderRow,
  readBalances,
  requirePaperAccount,
  STATUS_TO_ENGINE,
  TYPE_TO_ENGINE,
  updateOrder,
  writeBalanceChanges,
} from './store.ts';

export interface PaperVenueOptions {
  /** `public.candles.exchange` whose prices the venue trades on. Default `paper`. */
  priceSource?: string;
  /** Timeframe of that feed. Default `1m`. */
  timeframe?: string;
  /** Default: 0.1 % maker and taker, in the received asset (Binance spot). */
  fees?: { maker?: DecimalLike; taker?: DecimalLike; mode?: FeeMode };
  /** Extra price movement against every taker fill, in basis points. Default 0. */
  slippageBps?: DecimalLike;
  /** Modelled bid/ask spread around the last close, in basis points (at least one tick). Default 0. */
  spreadBps?: DecimalLike;
  /** Fill at most this fraction of an order per fill event (0 < f ≤ 1). Default: whole fills. */
  partialFillFraction?: DecimalLike;
  /** Exchange filters per symbol; anything not given is derived (see markets.ts). */
  markets?: Record<string, PaperMarketFilters>;
  /** Refuse orders when the newest candle closed longer ago than this. Default: no limit. */
  maxPriceAgeMs?: number;
  /** Candles applied per market in one `advance` (the rest next time). Default 10 000. */
  maxCandlesPerAdvance?: number;
}

export interface PaperExchangeOptions extends PaperVenueOptions {
  db: SqlClient;
  accountId: number;
  /** The venue's clock (ms). Time is passed in so replays and tests are deterministic. */
  clock: () => number;
}

/** The engine's name for the single account in a scratch engine. */
const ACCOUNT = 'paper';

export class PaperExchange implements Exchange {
  readonly id = 'paper';
  readonly accountId: number;
  private readonly db: SqlClient;
  private readonly clock: () => number;
  private readonly priceSource: string;
  private readonly timeframe: string;
  private readonly stepMs: number;
  private readonly fees: FeeSchedule;
  private readonly feeOptions: PaperVenueOptions['fees'];
  private readonly slippageBps: Dec;
  private readonly spreadBps: Dec;
  private readonly partialFillFraction: Dec | undefined;
  private readonly filters: Record<string, PaperMarketFilters>;
  private readonly maxPriceAgeMs: number | undefined;
  private readonly maxCandlesPerAdvance: number;

  constructor(options: PaperExchangeOptions) {
    this.db = options.db;
    this.accountId = options.accountId;
    this.clock = options.clock;
    this.priceSource = options.priceSource ?? 'paper';
    this.timeframe = options.timeframe ?? '1m';
    this.stepMs = timeframeToMs(this.timeframe);
    this.feeOptions = options.fees;
    this.fees = feeSchedule(options.fees);
    this.slippageBps = dec(options.slippageBps ?? 0);
    this.spreadBps = dec(options.spreadBps ?? 0);
    this.partialFillFraction = fraction(options.partialFillFraction);
    this.filters = options.markets ?? {};
    this.maxPriceAgeMs = options.maxPriceAgeMs;
    this.maxCandlesPerAdvance = options.maxCandlesPerAdvance ?? 10_000;
  }

  // ----- market data ---------------------------------------------------------------------------

  async markets(): Promise<MarketInfo[]> {
    const symbols = new Set([
      ...Object.keys(this.filters),
      ...(await candleSymbols(this.db, this.priceSource, this.timeframe)),
    ]);
    const markets: MarketInfo[] = [];
    for (const symbol of [...symbols].sort()) {
      const candle = await latestCandle(this.db, this.series(symbol));
      if (candle) markets.push(marketInfo(this.spec(symbol, candle), this.fees));
    }
    return markets;
  }

  async market(symbol: string): Promise<MarketInfo> {
    return marketInfo(this.spec(symbol, await this.requireCandle(this.db, symbol)), this.fees);
  }

  async ticker(symbol: string): Promise<Ticker> {
    const candle = await this.requireCandle(this.db, symbol);
    const spec = this.spec(symbol, candle);
    const quote = quoteAround(spec, dec(candle.close), this.spreadBps, candle.ts + this.stepMs);
    return {
      symbol,
      last: toDecimalString(quote.last),
      bid: toDecimalString(quote.bid),
      ask: toDecimalString(quote.ask),
      timestamp: quote.time,
    };
  }

  async ohlcv(symbol: string, timeframe: string, since?: number, limit?: number): Promise<OhlcvCandle[]> {
    const series = { ...this.series(symbol), timeframe };
    if (since === undefined) return latestCandles(this.db, series, limit ?? 500);
    return readCandles(this.db, series, { from: since, limit: limit ?? 500 });
  }

  // ----- orders --------------------------------------------------------------------------------

  async createOrder(request: OrderRequest): Promise<ExchangeOrder> {
    const now = this.clock();
    if (request.reduceOnly) {
      throw new OrderRejected('invalid-order', 'Reduce-only orders are not supported on a spot market.');
    }
    const { base, quote } = splitSymbol(request.symbol);
    return this.db.transaction(async (tx) => {
      const account = await requirePaperAccount(tx, this.accountId);
      const balances = await lockBalances(tx, account, [base, quote].sort());
      await this.matchLocked(tx, account, balances, request.symbol, now);

      const candle = await this.requireCandle(tx, request.symbol);
      if (this.maxPriceAgeMs !== undefined && now - (candle.ts + this.stepMs) > this.maxPriceAgeMs) {
        throw new OrderRejected('no-market-price', `No recent market price for ${request.symbol}.`);
      }
      if (await clientOrderIdTaken(tx, account.id, request.clientOrderId)) {
        throw new OrderRejected('duplicate-client-order-id', 'Duplicate order sent.');
      }
      const spec = this.spec(request.symbol, candle);
      const engine = this.scratchEngine(spec, balances);
      engine.applyCandle(spec.symbol, engineCandle(candle), now);
      const order = engine.placeOrder(
        {
          account: ACCOUNT,
          symbol: spec.symbol,
          side: request.side === 'buy' ? 'BUY' : 'SELL',
          type: TYPE_TO_ENGINE[request.type],
          quantity: decimal(request.amount, 'amount'),
          ...(request.price === undefined ? {} : { price: decimal(request.price, 'price') }),
          ...(request.stopPrice === undefined ? {} : { stopPrice: decimal(request.stopPrice, 'stopPrice') }),
          clientOrderId: request.clientOrderId,
        },
        now,
      );
      const row = await insertOrder(tx, account, order, request.type, candle.ts);
      await writeBalanceChanges(tx, account, balances, afterPlacement(engine, balances));
      return toExchangeOrder(row);
    });
  }

  async fetchOrder(symbol: string, ref: OrderRef): Promise<ExchangeOrder | null> {
    const row = await findOrder(this.db, this.accountId, symbol, ref);
    return row ? toExchangeOrder(row) : null;
  }

  async cancelOrder(symbol: string, ref: OrderRef): Promise<ExchangeOrder> {
    const now = this.clock();
    const { base, quote } = splitSymbol(symbol);
    return this.db.transaction(async (tx) => {
      const account = await requirePaperAccount(tx, this.accountId);
      const balances = await lockBalances(tx, account, [base, quote].sort());
      // An order the market has already filled cannot be cancelled any more.
      await this.matchLocked(tx, account, balances, symbol, now);
      const row = await findOrder(tx, account.id, symbol, ref, { forUpdate: true });
      if (!row || !isOpenStatus(STATUS_TO_ENGINE[row.status])) {
        throw new OrderRejected('unknown-order', 'Unknown order sent.');
      }
      const current = await readBalances(tx, account.id);
      const ledger = balancesFrom(current);
      const order = toEngineOrder(row);
      order.status = 'CANCELED';
      order.updateTime = now;
      if (order.locked.gt(0)) ledger.unlock(ACCOUNT, order.lockedAsset, order.locked);
      order.locked = dec(0);
      await updateOrder(tx, account, row, order, row.matched_through);
      await writeBalanceChanges(tx, account, current, ledger.list(ACCOUNT));
      return toExchangeOrder((await findOrder(tx, account.id, symbol, ref))!);
    });
  }

  async openOrders(symbol?: string): Promise<ExchangeOrder[]> {
    const rows = await listOrders(this.db, this.accountId, {
      openOnly: true,
      ...(symbol === undefined ? {} : { symbol }),
    });
    return rows.map(toExchangeOrder);
  }

  async myTrades(symbol: string, since?: number): Promise<Fill[]> {
    const rows = await listTrades(this.db, this.accountId, symbol, since);
    return rows.map((t) => ({
      tradeId: String(t.id),
      exchangeOrderId: String(t.order_id),
      symbol: t.symbol,
      side: t.side,
      price: toDecimalString(t.price),
      amount: toDecimalString(t.amount),
      cost: toDecimalString(t.cost),
      fee: { cost: toDecimalString(t.fee_cost), currency: t.fee_currency },
      liquidity: t.liquidity,
      timestamp: t.executed_at,
    }));
  }

  async balance(): Promise<BalanceLine[]> {
    const balances = await readBalances(this.db, this.accountId);
    return [...balances.entries()].map(([asset, line]) => ({
      asset,
      free: toDecimalString(line.free),
      used: toDecimalString(line.locked),
      total: toDecimalString(line.free.plus(line.locked)),
    }));
  }

  // ----- matching of resting orders ------------------------------------------------------------

  /**
   * Matches the account's resting orders against every candle that arrived since each was last
   * matched (oldest first). Idempotent: a candle is applied to an order once. Returns the orders
   * that changed (a fill, a trigger, an expiry).
   */
  async advance(now: number): Promise<ExchangeOrder[]> {
    // Usually nothing can match (no resting order, or no candle since each was last matched):
    // one read then, instead of a transaction that locks the account's balances.
    if (!(await this.hasCandlesToMatch())) return [];
    return this.db.transaction(async (tx) => {
      const account = await requirePaperAccount(tx, this.accountId);
      const balances = await lockBalances(tx, account, []);
      const changed = await this.matchLocked(tx, account, balances, undefined, now);
      const rows = await listOrders(tx, account.id, {});
      return rows.filter((row) => changed.has(row.id)).map(toExchangeOrder);
    });
  }

  /** Whether a resting order of the account has a candle newer than the last one matched against it. */
  private async hasCandlesToMatch(): Promise<boolean> {
    const rows = await this.db.query<{ due: boolean }>(
      `select exists (
                select 1 from internal.paper_orders o
                 where o.account_id = $1::bigint and o.status in ('open', 'partially_filled')
                   and exists (select 1 from public.candles c
                                where c.exchange = $2 and c.symbol = o.symbol and c.timeframe = $3
                                  and c.ts > o.matched_through)) as due`,
      [this.accountId, this.priceSource, this.timeframe],
    );
    return rows[0]?.due ?? false;
  }

  /** Matching with the balance rows already locked; updates `balances` in place. */
  private async matchLocked(
    tx: SqlQueryable,
    account: PaperAccount,
    balances: BalanceMap,
    symbol: string | undefined,
    now: number,
  ): Promise<Set<number>> {
    const rows = await lockOpenOrders(tx, account.id, symbol);
    const changed = new Set<number>();
    if (rows.length === 0) return changed;
    const ledger = balancesFrom(balances);
    const bySymbol = new Map<string, PaperOrderRow[]>();
    for (const row of rows) bySymbol.set(row.symbol, [...(bySymbol.get(row.symbol) ?? []), row]);

    for (const [marketSymbol, marketRows] of bySymbol) {
      const from = Math.min(...marketRows.map((row) => row.matched_through)) + 1;
      const candles = await readCandles(tx, this.series(marketSymbol), {
        from,
        limit: this.maxCandlesPerAdvance,
      });
      if (candles.length === 0) continue;
      const spec = this.spec(marketSymbol, candles[candles.length - 1]!);
      const ctx = {
        market: spec,
        fees: this.fees,
        slippageBps: this.slippageBps,
        partialFillFraction: this.partialFillFraction,
        balances: ledger,
        nextTradeId: () => 0,
      };
      for (const row of marketRows) {
        const order = toEngineOrder(row);
        let matchedThrough = row.matched_through;
        for (const candle of candles) {
          if (candle.ts <= matchedThrough) continue;
          if (!isOpenStatus(order.status)) break;
          // A fill happens when the candle shows it: at its close, never before the order existed.
          const at = Math.max(order.time, Math.min(now, candle.ts + this.stepMs));
          matchRestingOrder(ctx, order, engineCandle(candle), at);
          matchedThrough = candle.ts;
        }
        if (matchedThrough === row.matched_through) continue;
        const triggered =
          isTriggered(order.type) && row.triggered_at === null && order.workingTime !== undefined;
        if (order.fills.length > 0 || triggered || order.status !== STATUS_TO_ENGINE[row.status]) {
          changed.add(row.id);
        }
        await updateOrder(tx, account, row, order, matchedThrough);
      }
    }
    const after = ledger.list(ACCOUNT);
    await writeBalanceChanges(tx, account, balances, after);
    for (const line of after) balances.set(line.asset, { free: line.free, locked: line.locked });
    return changed;
  }

  // ----- helpers -------------------------------------------------------------------------------

  private series(symbol: string): CandleSeries {
    return { exchangeId: this.priceSource, symbol, timeframe: this.timeframe };
  }

  private spec(symbol: string, candle: StoredCandle): MarketSpec {
    return paperMarketSpec(symbol, candle.close, this.filters[symbol]);
  }

  private async requireCandle(db: SqlQueryable, symbol: string): Promise<StoredCandle> {
    splitSymbol(symbol);
    const candle = await latestCandle(db, this.series(symbol));
    if (!candle) {
      throw new OrderRejected(
        'unknown-symbol',
        `Invalid symbol: no ${this.timeframe} candles for ${symbol} on feed "${this.priceSource}".`,
      );
    }
    return candle;
  }

  /** A one-account engine holding the account's free balances, used to place one order. */
  private scratchEngine(spec: MarketSpec, balances: BalanceMap): MatchingEngine {
    const engine = new MatchingEngine({
      ...(this.feeOptions === undefined ? {} : { fees: this.feeOptions }),
      slippageBps: this.slippageBps,
      spreadBps: this.spreadBps,
      ...(this.partialFillFraction === undefined ? {} : { partialFillFraction: this.partialFillFraction }),
    });
    engine.listMarket(spec);
    const free: Record<string, Dec> = {};
    for (const [asset, line] of balances) free[asset] = line.free;
    engine.openAccount(ACCOUNT, free);
    return engine;
  }
}

/**
 * Matches the resting orders of every paper account that has any (the sync job's entry point
 * when new candles arrive). Returns the changed orders per account.
 */
export async function advancePaperAccounts(
  db: SqlClient,
  options: PaperVenueOptions & { clock?: () => number },
  now: number,
): Promise<Map<number, ExchangeOrder[]>> {
  const rows = await db.query<{ account_id: number }>(
    `select distinct account_id from internal.paper_orders
      where status in ('open', 'partially_filled') order by account_id`,
  );
  const result = new Map<number, ExchangeOrder[]>();
  for (const { account_id: accountId } of rows) {
    const exchange = new PaperExchange({ ...options, db, accountId, clock: options.clock ?? (() => now) });
    result.set(accountId, await exchange.advance(now));
  }
  return result;
}

/**
 * The account's balances after a placement: the engine only ever saw the free amounts, so the
 * amounts already locked by other orders are added back.
 */
function afterPlacement(
  engine: MatchingEngine,
  balances: BalanceMap,
): { asset: string; free: Dec; locked: Dec }[] {
  return engine.balanceLines(ACCOUNT).map((line) => ({
    asset: line.asset,
    free: line.free,
    locked: line.locked.plus(balances.get(line.asset)?.locked ?? 0),
  }));
}

function balancesFrom(map: BalanceMap): Balances {
  const ledger = new Balances();
  const totals: Record<string, Dec> = {};
  for (const [asset, line] of map) totals[asset] = line.free.plus(line.locked);
  ledger.open(ACCOUNT, totals);
  for (const [asset, line] of map) if (line.locked.gt(0)) ledger.lock(ACCOUNT, asset, line.locked);
  return ledger;
}

function engineCandle(candle: StoredCandle): Candle {
  return {
    openTime: candle.ts,
    open: dec(candle.open),
    high: dec(candle.high),
    low: dec(candle.low),
    close: dec(candle.close),
    volume: dec(candle.volume),
  };
}

function toEngineOrder(row: PaperOrderRow): Order {
  const type = TYPE_TO_ENGINE[row.type];
  return {
    orderId: row.id,
    clientOrderId: row.client_order_id,
    account: ACCOUNT,
    symbol: row.symbol,
    side: row.side === 'buy' ? 'BUY' : 'SELL',
    type,
    timeInForce: row.time_in_force,
    price: dec(row.price ?? 0),
    stopPrice: dec(row.stop_price ?? 0),
    origQty: dec(row.amount),
    origQuoteOrderQty: dec(0),
    executedQty: dec(row.filled),
    cummulativeQuoteQty: dec(row.cost),
    status: STATUS_TO_ENGINE[row.status],
    time: row.created_at,
    updateTime: row.updated_at,
    workingTime: isTriggered(type) ? (row.triggered_at ?? undefined) : row.created_at,
    fills: [],
    locked: dec(row.locked),
    lockedAsset: row.locked_asset,
    partialFillFraction: row.partial_fill_fraction === null ? undefined : dec(row.partial_fill_fraction),
  };
}

function toExchangeOrder(row: PaperOrderRow): ExchangeOrder {
  const filled = dec(row.filled);
  return {
    exchangeOrderId: String(row.id),
    clientOrderId: row.client_order_id,
    symbol: row.symbol,
    side: row.side,
    type: row.type,
    status: row.status,
    amount: toDecimalString(row.amount),
    filled: toDecimalString(filled),
    price: row.price === null ? null : toDecimalString(row.price),
    averagePrice: filled.isZero() ? null : toDecimalString(dec(row.cost).div(filled)),
    stopPrice: row.stop_price === null ? null : toDecimalString(row.stop_price),
    fee:
      row.fee_currency === null ? null : { cost: toDecimalString(row.fee_cost), currency: row.fee_currency },
    timestamp: row.created_at,
  };
}

function decimal(value: string, name: string): Dec {
  try {
    return dec(value);
  } catch {
    throw new OrderRejected('invalid-order', `Illegal characters found in parameter '${name}'.`);
  }
}

function fraction(value: DecimalLike | undefined): Dec | undefined {
  if (value === undefined) return undefined;
  const f = dec(value);
  if (f.lte(0) || f.gt(1)) throw new Error(`partial-fill fraction must be in (0, 1], got ${f.toString()}`);
  return f.eq(1) ? undefined : f;
}
