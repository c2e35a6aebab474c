/**
 * Sync specifications: a paper account trading BTC/USDT (Binance's filters), a trader with a
 * signal in `ready`, and orders placed through the real placement path.
 */
import type { SqlClient } from '../../../shared/db/sql.ts';
import type { OrderLeg } from '../../../shared/exchange/client-order-id.ts';
import { type OrderIntent, type PlacementResult, placeOrder } from '../../../shared/exchange/placement.ts';
import type { Exchange } from '../../../shared/exchange/port.ts';
import { advanceSignal, signal, trader } from '../../support/builders.ts';
import { type PaperSetup, paperSetup } from '../paper-exchange/support.ts';

export { at } from '../paper-exchange/support.ts';

export interface TradeSetup extends PaperSetup {
  signalId: number;
  /** Places an order for the signal's `leg` through placement (pending row first, then sent). */
  place(
    leg: OrderLeg,
    fields: Pick<OrderIntent, 'side' | 'type' | 'amount'> & Partial<OrderIntent>,
    exchange?: Exchange,
  ): Promise<PlacementResult>;
}

/**
 * A ready long signal on a paper account. The account holds 1 BTC besides its USDT so that a
 * stop-loss and a take-profit can both rest on the spot venue (each holds the amount it sells).
 */
export async function tradeSetup(
  db: SqlClient,
  options: Parameters<typeof paperSetup>[1] = {},
): Promise<TradeSetup> {
  const setup = await paperSetup(db, { funding: { USDT: '10000', BTC: '1' }, ...options });
  const traderId = await trader(db, setup.owner, setup.accountId);
  const signalId = await signal(db, setup.owner, traderId);
  await advanceSignal(db, signalId, 'analyzing', 'monitoring', 'ready');
  return {
    ...setup,
    signalId,
    place: (leg, fields, exchange) =>
      placeOrder(
        db,
        exchange ?? setup.exchange,
        {
          intentId: signalId,
          leg,
          attempt: 1,
          owner: setup.owner,
          accountId: setup.accountId,
          signalId,
          symbol: 'BTC/USDT',
          ...fields,
        },
        { sleep: async () => {} },
      ),
  };
}

/** Puts orders into one OCO group (placement's intent has no group yet; the protect step sets it). */
export async function groupAsOco(db: SqlClient, group: string, ...orderIds: number[]): Promise<void> {
  await db.query('update public.orders set oco_group = $1 where id = any($2::bigint[])', [
    group,
    `{${orderIds.join(',')}}`,
  ]);
}

export async function fillsOf(db: SqlClient, accountId: number) {
  return db.query<{
    exchange_trade_id: string;
    side: string;
    price: string;
    amount: string;
    fee_cost: string;
    fee_currency: string;
    position_id: number;
  }>(
    `select exchange_trade_id, side, price::text as price, amount::text as amount, fee_cost::text as fee_cost,
            fee_currency, position_id
       from public.trade_executions where account_id = $1 order by id`,
    [accountId],
  );
}

export async function positionsOf(db: SqlClient, accountId: number) {
  return db.query<{
    id: number;
    side: string;
    status: string;
    amount: string;
    entry_price: string | null;
    cost_basis: string;
    realized_pnl: string;
    unrealized_pnl: string;
    fees_paid: string;
    mark_price: string | null;
    dust: string;
    closed: boolean;
  }>(
    `select id, side, status, amount::text as amount, entry_price::text as entry_price, cost_basis::text as cost_basis,
            realized_pnl::text as realized_pnl, unrealized_pnl::text as unrealized_pnl, fees_paid::text as fees_paid,
            mark_price::text as mark_price, dust::text as dust, closed_at is not null as closed
       from public.positions where account_id = $1 order by id`,
    [accountId],
  );
}

export async function signalRow(db: SqlClient, signalId: number) {
  const rows = await db.query<{
    status: string;
    status_reason: string | null;
    realized_pnl: string | null;
    fees_paid: string | null;
    position_id: number | null;
  }>(
    `select s.status, s.status_reason, s.realized_pnl::text as realized_pnl, s.fees_paid::text as fees_paid,
            sp.position_id
       from public.signals s left join public.signal_positions sp on sp.signal_id = s.id where s.id = $1`,
    [signalId],
  );
  return rows[0]!;
}

export async function orderOf(db: SqlClient, orderId: number) {
  const rows = await db.query<{
    status: string;
    status_reason: string | null;
    filled_amount: string;
    fee_cost: string;
    fee_currency: string | null;
  }>(
    `select status, status_reason, filled_amount::text as filled_amount, fee_cost::text as fee_cost, fee_currency
       from public.orders where id = $1`,
    [orderId],
  );
  return rows[0]!;
}

/** Everything sync may write for an account, audit trails included, to compare two runs. */
export async function snapshot(db: SqlClient, accountId: number): Promise<unknown> {
  const tables = {
    orders: `select * from public.orders where account_id = $1 order by id`,
    orderEvents: `select e.* from public.order_events e join public.orders o on o.id = e.order_id
                   where o.account_id = $1 order by e.id`,
    fills: `select * from public.trade_executions where account_id = $1 order by id`,
    positions: `select * from public.positions where account_id = $1 order by id`,
    signals: `select s.* from public.signals s join public.traders t on t.id = s.trader_id
               where t.account_id = $1 order by s.id`,
    signalEvents: `select e.* from public.signal_events e join public.signals s on s.id = e.signal_id
                    join public.traders t on t.id = s.trader_id where t.account_id = $1 order by e.id`,
    cursors: `select * from internal.sync_cursors where account_id = $1 order by symbol`,
  };
  const out: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(tables)) out[name] = await db.query(text, [accountId]);
  return out;
}
