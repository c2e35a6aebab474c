/**
 * The paper venue's state in the database: balances (`public.paper_balances`), its book
 * (`internal.paper_orders`) and its fills (`internal.paper_trades`).
 *
 * Concurrency rule: every operation that changes an account first locks *all* of that account's
 * balance rows, in asset order (`lockBalances`). That serialises the account's operations, so
 * two concurrent placements cannot both spend the same balance, and the fixed order means two
 * operations never deadlock. Balance writes are deltas guarded by `free + Δ >= 0` (and the
 * table's `free >= 0` check), so even a bug above this layer cannot overdraw an account.
 */
import type { SqlQueryable } from '../../db/sql.ts';
import { type Dec, dec, toDecimalString } from '../../money/decimal.ts';
import type { Fill, Order } from '../matching/types.ts';
import type { OrderStatus, OrderType } from '../port.ts';

export type BalanceMap = Map<string, { free: Dec; locked: Dec }>;

export interface PaperAccount {
  id: number;
  owner: string;
}

/** The account, refused unless it exists, is a paper account and is not deleted. */
export async function requirePaperAccount(tx: SqlQueryable, accountId: number): Promise<PaperAccount> {
  const rows = await tx.query<{ owner: string; mode: string; status: string }>(
    'select owner, mode, status from public.exchange_accounts where id = $1::bigint',
    [accountId],
  );
  const row = rows[0];
  if (!row) throw new Error(`paper exchange: account ${accountId} does not exist`);
  if (row.mode !== 'paper') {
    throw new Error(`paper exchange: account ${accountId} is a ${row.mode} account, not a paper account`);
  }
  if (row.status === 'deleted') throw new Error(`paper exchange: account ${accountId} is deleted`);
  return { id: accountId, owner: row.owner };
}

/**
 * Makes sure rows exist for `assets`, then locks every balance row of the account (asset order)
 * and returns them.
 */
export async function lockBalances(
  tx: SqlQueryable,
  account: PaperAccount,
  assets: readonly string[],
): Promise<BalanceMap> {
  if (assets.length > 0) {
    await tx.query(
      `insert into public.paper_balances (account_id, owner, asset)
       select $1::bigint, $2::uuid, a from unnest($3::text[]) as a
       on conflict (account_id, asset) do nothing`,
      [account.id, account.owner, `{${assets.join(',')}}`],
    );
  }
  const rows = await tx.query<{ asset: string; free: string; locked: string }>(
    `select asset, free::text as free, locked::text as locked from public.paper_balances
      where account_id = $1::bigint order by asset for update`,
    [account.id],
  );
  return new Map(rows.map((row) => [row.asset, { free: dec(row.free), locked: dec(row.locked) }]));
}

export async function readBalances(tx: SqlQueryable, accountId: number): Promise<BalanceMap> {
  const rows = await tx.query<{ asset: string; free: string; locked: string }>(
    `select asset, free::text as free, locked::text as locked from public.paper_balances
      where account_id = $1::bigint order by asset`,
    [accountId],
  );
  return new Map(rows.map((row) => [row.asset, { free: dec(row.free), locked: dec(row.locked) }]));
}

/** Writes the difference between `before` and `after` as guarded deltas. */
export async function writeBalanceChanges(
  tx: SqlQueryable,
  account: PaperAccount,
  before: BalanceMap,
  after: { asset: string; free: Dec; locked: Dec }[],
): Promise<void> {
  for (const line of after) {
    const old = before.get(line.asset) ?? { free: dec(0), locked: dec(0) };
    const freeDelta = line.free.minus(old.free);
    const lockedDelta = line.locked.minus(old.locked);
    if (freeDelta.isZero() && lockedDelta.isZero()) continue;
    const rows = await tx.query(
      `update public.paper_balances
          set free = free + $3::numeric, locked = locked + $4::numeric
        where account_id = $1::bigint and asset = $2
          and free + $3::numeric >= 0 and locked + $4::numeric >= 0
        returning 1`,
      [account.id, line.asset, toDecimalString(freeDelta), toDecimalString(lockedDelta)],
    );
    if (rows.length !== 1) {
      // Cannot happen while the rows are locked; if it does, roll the whole operation back.
      throw new Error(
        `paper exchange: account ${account.id} ${line.asset} would go below zero (free Δ ${freeDelta.toFixed()}, locked Δ ${lockedDelta.toFixed()})`,
      );
    }
  }
}

/** A row of internal.paper_orders, times in ms. */
export interface PaperOrderRow {
  id: number;
  client_order_id: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: OrderType;
  time_in_force: 'GTC' | 'IOC' | 'FOK';
  price: string | null;
  stop_price: string | null;
  amount: string;
  filled: string;
  cost: string;
  fee_cost: string;
  fee_currency: string | null;
  status: OrderStatus;
  locked: string;
  locked_asset: string;
  triggered_at: number | null;
  partial_fill_fraction: string | null;
  matched_through: number;
  created_at: number;
  updated_at: number;
}

const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::bigint as ${column}`;
const at = (param: string) => `timestamptz 'epoch' + ${param}::bigint * interval '1 millisecond'`;

export const ORDER_COLUMNS = `id, client_order_id, symbol, side, type, time_in_force, price::text as price,
  stop_price::text as stop_price, amount::text as amount, filled::text as filled, cost::text as cost,
  fee_cost::text as fee_cost, fee_currency, status, locked::text as locked, locked_asset,
  ${ms('triggered_at')}, partial_fill_fraction::text as partial_fill_fraction, ${ms('matched_through')},
  ${ms('created_at')}, ${ms('updated_at')}`;

export async function clientOrderIdTaken(
  tx: SqlQueryable,
  accountId: number,
  clientOrderId: string,
): Promise<boolean> {
  const rows = await tx.query(
    'select 1 from internal.paper_orders where account_id = $1::bigint and client_order_id = $2',
    [accountId, clientOrderId],
  );
  return rows.length > 0;
}

/** Open orders of the account (one symbol or all), oldest first, locked for update. */
export async function lockOpenOrders(
  tx: SqlQueryable,
  accountId: number,
  symbol: string | undefined,
): Promise<PaperOrderRow[]> {
  return tx.query<PaperOrderRow>(
    `select ${ORDER_COLUMNS} from internal.paper_orders
      where account_id = $1::bigint and status in ('open', 'partially_filled')
        and ($2::text is null or symbol = $2)
      order by id for update`,
    [accountId, symbol ?? null],
  );
}

export async function findOrder(
  tx: SqlQueryable,
  accountId: number,
  symbol: string,
  ref: { exchangeOrderId: string } | { clientOrderId: string },
  options: { forUpdate?: boolean } = {},
): Promise<PaperOrderRow | undefined> {
  const lock = options.forUpdate ? 'for update' : '';
  if ('exchangeOrderId' in ref) {
    if (!/^[0-9]{1,15}$/.test(ref.exchangeOrderId)) return undefined;
    const rows = await tx.query<PaperOrderRow>(
      `select ${ORDER_COLUMNS} from internal.paper_orders
        where account_id = $1::bigint and symbol = $2 and id = $3::bigint ${lock}`,
      [accountId, symbol, Number(ref.exchangeOrderId)],
    );
    return rows[0];
  }
  const rows = await tx.query<PaperOrderRow>(
    `select ${ORDER_COLUMNS} from internal.paper_orders
      where account_id = $1::bigint and symbol = $2 and client_order_id = $3 ${lock}`,
    [accountId, symbol, ref.clientOrderId],
  );
  return rows[0];
}

export async function listOrders(
  tx: SqlQueryable,
  accountId: number,
  filter: { symbol?: string; openOnly?: boolean },
): Promise<PaperOrderRow[]> {
  return tx.query<PaperOrderRow>(
    `select ${ORDER_COLUMNS} from internal.paper_orders
      where account_id = $1::bigint and ($2::text is null or symbol = $2)
        and (not $3::boolean or status in ('open', 'partially_filled'))
      order by id`,
    [accountId, filter.symbol ?? null, filter.openOnly ?? false],
  );
}

/** The port's names for the engine's statuses and types. */
export const STATUS_FROM_ENGINE: Record<Order['status'], OrderStatus> = {
  NEW: 'open',
  PARTIALLY_FILLED: 'partially_filled',
  FILLED: 'filled',
  CANCELED: 'cancelled',
  EXPIRED: 'expired',
};
export const STATUS_TO_ENGINE: Record<OrderStatus, Order['status']> = {
  open: 'NEW',
  partially_filled: 'PARTIALLY_FILLED',
  filled: 'FILLED',
  cancelled: 'CANCELED',
  rejected: 'EXPIRED',
  expired: 'EXPIRED',
};
export const TYPE_TO_ENGINE: Record<OrderType, Order['type']> = {
  market: 'MARKET',
  limit: 'LIMIT',
  stop_loss: 'STOP_LOSS',
  stop_loss_limit: 'STOP_LOSS_LIMIT',
  take_profit: 'TAKE_PROFIT',
  take_profit_limit: 'TAKE_PROFIT_LIMIT',
};

/** Inserts an order the engine accepted, with its fills; returns its row (its id is the exchange order id). */
export async function insertOrder(
  tx: SqlQueryable,
  account: PaperAccount,
  order: Order,
  type: OrderType,
  matchedThrough: number,
): Promise<PaperOrderRow> {
  const fee = feeOf(order.fills);
  const rows = await tx.query<PaperOrderRow>(
    `insert into internal.paper_orders (account_id, owner, client_order_id, symbol, side, type, time_in_force,
       price, stop_price, amount, filled, cost, fee_cost, fee_currency, status, locked, locked_asset,
       triggered_at, partial_fill_fraction, matched_through, created_at, updated_at)
     values ($1::bigint, $2::uuid, $3, $4, $5, $6, $7, $8::numeric, $9::numeric, $10::numeric, $11::numeric,
       $12::numeric, $13::numeric, $14, $15, $16::numeric, $17, ${at('$18')}, $19::numeric, ${at('$20')},
       ${at('$21')}, ${at('$22')})
     returning ${ORDER_COLUMNS}`,
    [
      account.id,
      account.owner,
      order.clientOrderId,
      order.symbol,
      order.side === 'BUY' ? 'buy' : 'sell',
      type,
      order.timeInForce,
      order.price.isZero() ? null : toDecimalString(order.price),
      order.stopPrice.isZero() ? null : toDecimalString(order.stopPrice),
      toDecimalString(order.origQty),
      toDecimalString(order.executedQty),
      toDecimalString(order.cummulativeQuoteQty),
      toDecimalString(fee.cost),
      fee.currency,
      STATUS_FROM_ENGINE[order.status],
      toDecimalString(order.locked),
      order.lockedAsset,
      order.workingTime ?? null,
      order.partialFillFraction === undefined ? null : toDecimalString(order.partialFillFraction),
      matchedThrough,
      order.time,
      order.updateTime,
    ],
  );
  const row = rows[0]!;
  await insertTrades(tx, account, row.id, order.fills);
  return row;
}

/** Writes an order's new state after matching, and its new fills. */
export async function updateOrder(
  tx: SqlQueryable,
  account: PaperAccount,
  row: PaperOrderRow,
  order: Order,
  matchedThrough: number,
): Promise<void> {
  const fee = feeOf(order.fills);
  await tx.query(
    `update internal.paper_orders
        set filled = $2::numeric, cost = $3::numeric, fee_cost = fee_cost + $4::numeric,
            fee_currency = coalesce(fee_currency, $5), status = $6, locked = $7::numeric,
            triggered_at = ${at('$8')}, matched_through = ${at('$9')}, updated_at = ${at('$10')}
      where id = $1::bigint`,
    [
      row.id,
      toDecimalString(order.executedQty),
      toDecimalString(order.cummulativeQuoteQty),
      toDecimalString(fee.cost),
      fee.currency,
      STATUS_FROM_ENGINE[order.status],
      toDecimalString(order.locked),
      order.workingTime ?? null,
      matchedThrough,
      order.updateTime,
    ],
  );
  await insertTrades(tx, account, row.id, order.fills);
}

async function insertTrades(tx: SqlQueryable, account: PaperAccount, orderId: number, fills: Fill[]) {
  // One statement per fill, in order, so trade ids follow the order of the fills.
  for (const f of fills) {
    await tx.query(
      `insert into internal.paper_trades (order_id, account_id, owner, symbol, side, price, amount, cost, fee_cost,
         fee_currency, liquidity, executed_at)
       values ($1::bigint, $2::bigint, $3::uuid, $4, $5, $6::numeric, $7::numeric, $8::numeric, $9::numeric, $10,
         $11, ${at('$12')})`,
      [
        orderId,
        account.id,
        account.owner,
        f.symbol,
        f.side === 'BUY' ? 'buy' : 'sell',
        toDecimalString(f.price),
        toDecimalString(f.qty),
        toDecimalString(f.quoteQty),
        toDecimalString(f.commission),
        f.commissionAsset,
        f.isMaker ? 'maker' : 'taker',
        f.time,
      ],
    );
  }
}

function feeOf(fills: Fill[]): { cost: Dec; currency: string | null } {
  return {
    cost: fills.reduce((sum, f) => sum.plus(f.commission), dec(0)),
    currency: fills[0]?.commissionAsset ?? null,
  };
}

export interface PaperTradeRow {
  id: number;
  order_id: number;
  symbol: string;
  side: 'buy' | 'sell';
  price: string;
  amount: string;
  cost: string;
  fee_cost: string;
  fee_currency: string;
  liquidity: 'maker' | 'taker';
  executed_at: number;
}

export async function listTrades(
  tx: SqlQueryable,
  accountId: number,
  symbol: string,
  since: number | undefined,
): Promise<PaperTradeRow[]> {
  return tx.query<PaperTradeRow>(
    `select id, order_id, symbol, side, price::text as price, amount::text as amount, cost::text as cost,
            fee_cost::text as fee_cost, fee_currency, liquidity, ${ms('executed_at')}
       from internal.paper_trades
      where account_id = $1::bigint and symbol = $2
        and ($3::bigint is null or executed_at >= ${at('$3')})
      order by id`,
    [accountId, symbol, since ?? null],
  );
}
