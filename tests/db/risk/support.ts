/**
 * Risk specifications: a user with a funded paper account (10 000 USDT), a trader on it, and
 * signals moved to `ready` as the pipeline would. BTC/USDT trades at 20 000, ETH/USDT at 1 000
 * and XRP/USDT at 100 on the setup's candle feed (Binance-like filters; XRP with a coarse lot
 * step of 1), with the venue's default fee: 0.1 %, taken from the base asset on a buy.
 */
import type { SqlClient, SqlQueryable } from '../../../shared/db/sql.ts';
import type { PaperVenueOptions } from '../../../shared/exchange/paper/index.ts';
import type { Exchange } from '../../../shared/exchange/port.ts';
import { upsertCandles } from '../../../shared/market-data/candle-store.ts';
import { advanceSignal } from '../../support/builders.ts';
import { at, type PaperSetup, paperSetup } from '../paper-exchange/support.ts';

export interface RiskSetup extends PaperSetup {
  traderId: number;
  /** A new ready signal of the trader. */
  readySignal(fields?: SignalFields): Promise<number>;
}

export interface SignalFields {
  symbol?: string;
  side?: 'long' | 'short';
  entryPrice?: string;
  stopLoss?: string;
  takeProfit?: string;
  traderId?: number;
}

export interface TraderFields {
  sizing_rule?: string;
  sizing_value?: string;
  max_positions?: number;
  daily_loss_limit?: string | null;
  allowed_symbols?: string[];
}

export async function riskSetup(
  db: SqlClient,
  trader: TraderFields = {},
  venue: Pick<PaperVenueOptions, 'fees'> = {},
): Promise<RiskSetup> {
  const setup = await paperSetup(db, {
    ...venue,
    markets: {
      'BTC/USDT': { tickSize: '0.01', stepSize: '0.00001', minNotional: '5' },
      'ETH/USDT': { tickSize: '0.01', stepSize: '0.0001', minNotional: '5' },
      'XRP/USDT': { tickSize: '0.01', stepSize: '1', minNotional: '5' },
    },
  });
  await setup.flat(0, '20000');
  for (const [symbol, price] of [
    ['ETH/USDT', '1000'],
    ['XRP/USDT', '100'],
  ] as const) {
    await upsertCandles(db, { exchangeId: setup.feed, symbol, timeframe: '1m' }, [
      { ts: at(0), open: price, high: price, low: price, close: price, volume: '10' },
    ]);
  }
  const traderId = await addTrader(db, setup.owner, setup.accountId, trader);
  return {
    ...setup,
    traderId,
    readySignal: (fields = {}) => readySignal(db, setup.owner, fields.traderId ?? traderId, fields),
  };
}

let traders = 0;

export async function addTrader(
  db: SqlQueryable,
  owner: string,
  accountId: number,
  fields: TraderFields = {},
): Promise<number> {
  const rows = await db.query<{ id: number }>(
    `insert into public.traders (owner, name, account_id, sizing_rule, sizing_value, max_positions, daily_loss_limit,
                                 allowed_symbols)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
    [
      owner,
      `Risk trader ${++traders}`,
      accountId,
      fields.sizing_rule ?? 'fixed_quote',
      fields.sizing_value ?? '100',
      fields.max_positions ?? 3,
      fields.daily_loss_limit ?? null,
      fields.allowed_symbols ?? [],
    ],
  );
  return rows[0]!.id;
}

export async function readySignal(
  db: SqlQueryable,
  owner: string,
  traderId: number,
  fields: SignalFields = {},
): Promise<number> {
  const rows = await db.query<{ id: number }>(
    `insert into public.signals (owner, trader_id, symbol, side, entry_price, stop_loss, take_profit)
     values ($1, $2, $3, $4, $5, $6, $7) returning id`,
    [
      owner,
      traderId,
      fields.symbol ?? 'BTC/USDT',
      fields.side ?? 'long',
      fields.entryPrice ?? null,
      fields.stopLoss ?? null,
      fields.takeProfit ?? null,
    ],
  );
  const id = rows[0]!.id;
  await advanceSignal(db, id, 'analyzing', 'monitoring', 'ready');
  return id;
}

/** A signal that traded and closed with `pnl`, closed `daysAgo` days before the database's today. */
export async function closedSignal(
  db: SqlQueryable,
  owner: string,
  traderId: number,
  pnl: string,
  daysAgo = 0,
): Promise<number> {
  const id = await readySignal(db, owner, traderId, { symbol: 'SOL/USDT' });
  await advanceSignal(db, id, 'in_position');
  await db.query(
    `update public.signals set status = 'closed', realized_pnl = $2,
            closed_at = now() - $3::integer * interval '1 day' where id = $1`,
    [id, pnl, daysAgo],
  );
  return id;
}

export async function engageKillSwitch(
  db: SqlQueryable,
  owner: string,
  traderId: number | null,
  reason: string,
): Promise<void> {
  await db.query(
    `insert into public.kill_switches (owner, trader_id, engaged, engaged_at, reason) values ($1, $2, true, now(), $3)
     on conflict (owner, trader_id) do update set engaged = true, engaged_at = now(), reason = excluded.reason`,
    [owner, traderId, reason],
  );
}

export async function setRiskParameters(
  db: SqlQueryable,
  owner: string,
  traderId: number | null,
  fields: Record<string, string | number | null>,
): Promise<void> {
  const columns = Object.keys(fields);
  await db.query(
    `insert into public.risk_parameters (owner, trader_id, ${columns.join(', ')})
     values ($1, $2, ${columns.map((_, i) => `$${i + 3}`).join(', ')})
     on conflict (owner, trader_id) do update set ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}`,
    [owner, traderId, ...Object.values(fields)],
  );
}

export async function entryOrders(db: SqlQueryable, signalId: number) {
  return db.query<{ client_order_id: string; status: string; amount: string; side: string; type: string }>(
    `select o.client_order_id, o.status, o.amount::text as amount, o.side, o.type
       from public.signal_orders so join public.orders o on o.id = so.order_id
      where so.signal_id = $1 and so.leg = 'entry' order by o.id`,
    [signalId],
  );
}

/** An exchange that fails any call: for plans that must not need the exchange. */
export const unreachableExchange: Exchange = new Proxy({} as Exchange, {
  get: (_target, property) =>
    property === 'then' ? undefined : () => Promise.reject(new Error(`exchange called: ${String(property)}`)),
});
