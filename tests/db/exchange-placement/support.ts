/**
 * Placement tests: a migrated database (PGlite or PostgreSQL 15), a live account row, and the
 * CCXT adapter over the real `ccxt.binance` client against the local exchange server.
 */
import { binanceAgainst } from '../../../platform/exchange-server/ccxt-client.ts';
import { type ExchangeServer, startExchangeServer } from '../../../platform/exchange-server/server.ts';
import type { SqlClient } from '../../../shared/db/sql.ts';
import { CcxtExchange, type CcxtExchangeOptions } from '../../../shared/exchange/ccxt/ccxt-exchange.ts';
import type { OrderIntent } from '../../../shared/exchange/placement.ts';
import { liveAccount } from '../../support/builders.ts';
import { createUser } from '../../support/databases.ts';

const T0 = Date.UTC(2024, 0, 1);

/** BTC/USDT at a flat 30 000, then a few candles to step through. */
export function flatExchange(): Promise<ExchangeServer> {
  const candles = Array.from(
    { length: 5 },
    (_, i) =>
      [T0 + i * 60_000, 30_000, 30_000, 30_000, 30_000, 12] as [
        number,
        number,
        number,
        number,
        number,
        number,
      ],
  );
  return startExchangeServer({ feeds: [{ symbol: 'BTC/USDT', interval: '1m', candles }] });
}

let keys = 0;

export interface Account {
  owner: string;
  accountId: number;
  apiKey: string;
  exchange: CcxtExchange;
}

/** A user with a live account whose exchange is `server`, reached through the adapter. */
export async function accountOn(
  db: SqlClient,
  server: ExchangeServer,
  options: { timeoutMs?: number } & CcxtExchangeOptions = {},
): Promise<Account> {
  const owner = await createUser(db);
  const accountId = await liveAccount(db, owner);
  keys += 1;
  const apiKey = `placement-${process.pid}-${keys}`;
  const client = binanceAgainst(
    server.url,
    { apiKey, secret: 's' },
    { enableRateLimit: false, timeout: options.timeoutMs ?? 5_000 },
  );
  const exchange = new CcxtExchange(client, { readRetry: { attempts: 3, baseMs: 2, maxMs: 4 }, ...options });
  return { owner, accountId, apiKey, exchange };
}

let intents = 0;

export function intent(account: Account, fields: Partial<OrderIntent> = {}): OrderIntent {
  intents += 1;
  return {
    intentId: `${process.pid}x${intents}`,
    leg: 'entry',
    attempt: 1,
    owner: account.owner,
    accountId: account.accountId,
    symbol: 'BTC/USDT',
    side: 'buy',
    type: 'limit',
    amount: '0.01',
    price: '29000',
    ...fields,
  };
}

export interface OrderRowView {
  status: string;
  status_reason: string | null;
  exchange_order_id: string | null;
  filled_amount: string;
  fee_cost: string;
  fee_currency: string | null;
  amount: string;
}

export async function orderRow(db: SqlClient, clientOrderId: string): Promise<OrderRowView> {
  const rows = await db.query<OrderRowView>(
    `select status, status_reason, exchange_order_id, filled_amount::text as filled_amount, fee_cost::text as fee_cost,
            fee_currency, amount::text as amount
       from public.orders where client_order_id = $1`,
    [clientOrderId],
  );
  if (!rows[0]) throw new Error(`no order row ${clientOrderId}`);
  return rows[0];
}

export async function statusHistory(db: SqlClient, clientOrderId: string): Promise<string[]> {
  const rows = await db.query<{ to_status: string }>(
    `select e.to_status from public.order_events e join public.orders o on o.id = e.order_id
      where o.client_order_id = $1 order by e.id`,
    [clientOrderId],
  );
  return rows.map((r) => r.to_status);
}

/** What a job retried after its lease expired sees: the last send happened minutes ago. */
export async function ageLastSend(db: SqlClient, clientOrderId: string, minutes = 5): Promise<void> {
  await db.query(
    `update public.orders set submitted_at = now() - $2::integer * interval '1 minute', created_at = now() - $2::integer * interval '1 minute'
      where client_order_id = $1`,
    [clientOrderId, minutes],
  );
}
