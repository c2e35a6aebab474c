/**
 * Small builders for database tests. They write as the database owner (like the worker),
 * so they can set every column; tests then read and write as end users to check RLS.
 */
import type { SqlQueryable } from '../../shared/db/sql.ts';

type Id = { id: number };

async function one<T>(db: SqlQueryable, text: string, params: unknown[]): Promise<T> {
  const rows = await db.query(text, params);
  if (!rows[0]) throw new Error(`builder returned no row: ${text}`);
  return rows[0] as T;
}

export async function paperAccount(db: SqlQueryable, owner: string): Promise<number> {
  const row = await one<Id>(
    db,
    `insert into public.exchange_accounts (owner, label) values ($1, 'Paper') returning id`,
    [owner],
  );
  return row.id;
}

export async function liveAccount(db: SqlQueryable, owner: string): Promise<number> {
  const row = await one<Id>(
    db,
    `insert into public.exchange_accounts (owner, exchange, mode, label, api_key_ciphertext,
       api_secret_ciphertext, key_salt, key_version, key_suffix, permissions)
     values ($1, 'binance', 'live', 'Binance', 'ciphertext-key', 'ciphertext-secret', 'salt', 1, '••••1a2b',
             array['read', 'trade'])
     returning id`,
    [owner],
  );
  return row.id;
}

export async function trader(
  db: SqlQueryable,
  owner: string,
  accountId: number,
  name = 'Trader',
): Promise<number> {
  const row = await one<Id>(
    db,
    `insert into public.traders (owner, name, account_id) values ($1, $2, $3) returning id`,
    [owner, name, accountId],
  );
  return row.id;
}

export async function signal(
  db: SqlQueryable,
  owner: string,
  traderId: number,
  fields: { symbol?: string; side?: 'long' | 'short' } = {},
): Promise<number> {
  const row = await one<Id>(
    db,
    `insert into public.signals (owner, trader_id, symbol, side) values ($1, $2, $3, $4) returning id`,
    [owner, traderId, fields.symbol ?? 'BTC/USDT', fields.side ?? 'long'],
  );
  return row.id;
}

/** Moves a signal along the lifecycle as the system would, one legal step at a time. */
export async function advanceSignal(
  db: SqlQueryable,
  signalId: number,
  ...statuses: string[]
): Promise<void> {
  for (const status of statuses) {
    await db.query('update public.signals set status = $2 where id = $1', [signalId, status]);
  }
}

export async function order(
  db: SqlQueryable,
  owner: string,
  accountId: number,
  fields: {
    clientOrderId?: string;
    amount?: string;
    side?: 'buy' | 'sell';
    type?: string;
    price?: string;
  } = {},
): Promise<number> {
  const row = await one<Id>(
    db,
    `insert into public.orders (owner, account_id, client_order_id, symbol, side, type, amount, price)
     values ($1, $2, $3, 'BTC/USDT', $4, $5, $6, $7) returning id`,
    [
      owner,
      accountId,
      fields.clientOrderId ?? `tf-${Math.random().toString(36).slice(2, 12)}`,
      fields.side ?? 'buy',
      fields.type ?? 'market',
      fields.amount ?? '0.5',
      fields.price ?? null,
    ],
  );
  return row.id;
}

export async function linkSignalOrder(
  db: SqlQueryable,
  owner: string,
  signalId: number,
  orderId: number,
  leg: 'entry' | 'stop_loss' | 'take_profit' | 'exit',
): Promise<void> {
  await db.query(
    `insert into public.signal_orders (owner, signal_id, order_id, leg) values ($1, $2, $3, $4)`,
    [owner, signalId, orderId, leg],
  );
}

export async function fill(
  db: SqlQueryable,
  owner: string,
  orderId: number,
  accountId: number,
  tradeId: string,
  amount = '0.5',
): Promise<void> {
  await db.query(
    `insert into public.trade_executions (owner, order_id, account_id, exchange_trade_id, symbol, side, price,
       amount, cost, fee_cost, fee_currency, liquidity, executed_at)
     values ($1, $2, $3, $4, 'BTC/USDT', 'buy', '100', $5, $5::numeric * 100, '0.0005', 'BTC', 'taker', now())`,
    [owner, orderId, accountId, tradeId, amount],
  );
}

export async function openPosition(db: SqlQueryable, owner: string, accountId: number, symbol = 'BTC/USDT') {
  const row = await one<Id>(
    db,
    `insert into public.positions (owner, account_id, symbol, side, amount, entry_price)
     values ($1, $2, $3, 'long', '0.5', '100') returning id`,
    [owner, accountId, symbol],
  );
  return row.id;
}

/**
 * One row for `owner` in every user-facing public table. The RLS test asserts that the
 * owner sees each of them, so a table added later without a builder here fails loudly.
 */
export async function seedEveryTable(db: SqlQueryable, owner: string): Promise<void> {
  const accountId = await paperAccount(db, owner);
  await db.query('select public.fund_paper_account($1::bigint)', [accountId]);
  const traderId = await trader(db, owner, accountId);
  const signalId = await signal(db, owner, traderId);
  await db.query(
    `insert into public.signal_monitoring_snapshots (owner, signal_id, decision, price)
                  values ($1, $2, 'wait', '100')`,
    [owner, signalId],
  );
  const orderId = await order(db, owner, accountId);
  await linkSignalOrder(db, owner, signalId, orderId, 'entry');
  await fill(db, owner, orderId, accountId, `trade-${orderId}`);
  const positionId = await openPosition(db, owner, accountId);
  await db.query('insert into public.signal_positions (owner, signal_id, position_id) values ($1, $2, $3)', [
    owner,
    signalId,
    positionId,
  ]);
  await db.query('insert into public.trading_config (owner, default_account_id) values ($1, $2)', [
    owner,
    accountId,
  ]);
  await db.query('insert into public.risk_parameters (owner, max_open_positions) values ($1, 3)', [owner]);
  await db.query(
    `insert into public.kill_switches (owner, engaged, engaged_at, reason)
                  values ($1, true, now(), 'test')`,
    [owner],
  );
  const strategy = await one<Id>(
    db,
    `insert into public.strategies (owner, trader_id, name, kind) values ($1, $2, 'Grid', 'grid') returning id`,
    [owner, traderId],
  );
  await db.query(
    `insert into public.strategy_parameters (owner, strategy_id, name, value) values ($1, $2, 'levels', '10')`,
    [owner, strategy.id],
  );
  await db.query(
    `insert into public.strategy_performance (owner, strategy_id, source, period_start, period_end, trades, wins, net_pnl)
     values ($1, $2, 'backtest', now() - interval '1 day', now(), 4, 3, '12.5')`,
    [owner, strategy.id],
  );
  await db.query(
    `insert into public.alerts (owner, trader_id, severity, kind, message)
                  values ($1, $2, 'warning', 'order_failed', 'test alert')`,
    [owner, traderId],
  );
  await db.query(
    `insert into public.trader_metrics (trader_id, quote, owner, signals_rejected) values ($1, 'USDT', $2, 1)`,
    [traderId, owner],
  );
}
