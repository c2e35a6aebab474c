/**
 * Crash injection on the money path, the parts every crash test shares: a testnet account
 * trading on the local Binance-compatible exchange through the real ccxt client, signals made
 * ready for it, the settling once the crashes are over, and the verdict — the exchange and the
 * database agree, with exactly one entry and one protection per signal.
 *
 * The tests differ in what they kill (a bare worker process; the stack's Deno worker and the
 * stack's own process with the dispatcher), not in what must hold afterwards.
 */
import { expect } from 'vitest';
import type { FeedSpec } from '../../platform/exchange-server/feeds.ts';
import type { ExchangeServer } from '../../platform/exchange-server/server.ts';
import type { SqlClient } from '../../shared/db/sql.ts';
import { parseClientOrderId } from '../../shared/exchange/client-order-id.ts';
import type { Order } from '../../shared/exchange/matching/types.ts';
import { encryptSecret, loadMasterKeys, newUserSalt, serializeEnvelope } from '../../shared/vault/index.ts';
import { advanceSignal } from './builders.ts';
import { createUser } from './databases.ts';

/** What a signal's protective legs are called in client order ids. */
const PROTECTIVE_LEGS = ['stop_loss', 'take_profit'];
/** Binance's statuses of an order still working on the venue. */
const WORKING = ['NEW', 'PARTIALLY_FILLED'];

/**
 * A flat market at 100 so that levels and sizes are easy to reason about: 30 one-minute candles
 * ending now, the last one current. None of the symbols has Binance's real filters in the local
 * exchange (XRP/USDT's 0.1 lot at a price of 100 would turn a 20 USDT entry into 0.1 and its
 * base fee into unsellable dust), so each gets a grid derived from its price.
 */
export function flatFeeds(symbols: readonly string[], now = Date.now()): FeedSpec[] {
  const start = now - 30 * 60_000;
  return symbols.map((symbol) => ({
    symbol,
    interval: '1m',
    candles: Array.from({ length: 30 }, (_, i) => [start + i * 60_000, 100, 100.5, 99.5, 100, 1000]),
    startIndex: 29,
  }));
}

/** Orders take 20–120 ms on the venue, so that kills land while calls are in flight. */
export function slowOrders(server: ExchangeServer, ms = 70): void {
  server.injectFault({ method: 'POST', path: '/api/v3/order', fault: { kind: 'latency', ms } });
}

export interface TestnetTrader {
  owner: string;
  accountId: number;
  traderId: number;
}

/**
 * A user with a Binance testnet account (its keys encrypted under `masterKey`, as the API
 * stores them) and an auto-executing trader that buys 20 USDT per signal.
 */
export async function createTestnetTrader(
  db: SqlClient,
  keys: { masterKey: string; apiKey: string; apiSecret: string },
): Promise<TestnetTrader> {
  const owner = await createUser(db);
  const keyring = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: keys.masterKey });
  const [account] = await db.query<{ id: number }>(
    `insert into public.exchange_accounts (owner, exchange, mode, label, api_key_ciphertext, api_secret_ciphertext,
       key_salt, key_version, permissions)
     values ($1, 'binance', 'testnet', 'Crash test', 'x', 'x', 'x', 1, array['read', 'trade']) returning id`,
    [owner],
  );
  const salt = newUserSalt();
  const context = { userId: owner, accountId: String(account!.id), userSalt: salt };
  await db.query(
    `update public.exchange_accounts set api_key_ciphertext = $2, api_secret_ciphertext = $3, key_salt = $4 where id = $1`,
    [
      account!.id,
      serializeEnvelope(await encryptSecret(keyring, keys.apiKey, context)),
      serializeEnvelope(await encryptSecret(keyring, keys.apiSecret, context)),
      salt,
    ],
  );
  // The local exchange has no rate limit: the account's request budget (20 requests, 10 a second
  // by default) would only make every reconciliation of many markets slow.
  await db.query('select internal.set_exchange_request_budget($1, 1000, 1000)', [account!.id]);
  const [trader] = await db.query<{ id: number }>(
    `insert into public.traders (owner, name, account_id, sizing_rule, sizing_value, max_positions)
     values ($1, 'Crash trader', $2, 'fixed_quote', 20, 50) returning id`,
    [owner, account!.id],
  );
  return { owner, accountId: account!.id, traderId: trader!.id };
}

/**
 * A long signal (stop-loss 95, take-profit 105) made ready at once, which enqueues its execute
 * job. It never shows as `new`, so the analyse job its creation enqueues finds nothing to do.
 */
export async function readySignal(db: SqlClient, trader: TestnetTrader, symbol: string): Promise<number> {
  return db.transaction(async (tx) => {
    const [signal] = await tx.query<{ id: number }>(
      `insert into public.signals (owner, trader_id, symbol, side, stop_loss, take_profit)
       values ($1, $2, $3, 'long', 95, 105) returning id`,
      [trader.owner, trader.traderId, symbol],
    );
    await advanceSignal(tx, signal!.id, 'analyzing', 'monitoring', 'ready');
    return signal!.id;
  });
}

/**
 * Kills count as failed attempts: jobs get room so that crashes never dead-letter them. And the
 * retry backoff after a crash, which is not what a crash test is about, passes at once.
 */
export async function skipRetryBackoff(db: SqlClient): Promise<void> {
  await db.query(`update queue.jobs set max_attempts = 100 where max_attempts < 100 and status <> 'dead'`);
  await db.query(`update queue.jobs set run_at = now() where status = 'queued' and run_at > now()`);
}

/**
 * skipRetryBackoff, then the queue's cron sweep at a test's pace (pg_cron runs it once a
 * minute): expired leases are reclaimed and the workers nudged when jobs are due.
 */
export async function playSweep(db: SqlClient): Promise<void> {
  await skipRetryBackoff(db);
  await db.query('select queue.sweep()');
}

/**
 * A killed worker's leases would hold its jobs until they expire (a minute by default): they
 * are expired now instead — time passing for a process known to be dead — and the next sweep
 * hands the jobs back. Never for a live worker's lease.
 */
export async function expireLeases(db: SqlClient, leaseTokens: readonly string[]): Promise<void> {
  await db.query(
    `update queue.jobs set locked_until = now() - interval '1 second'
      where status = 'running' and lease_token::text = any($1::text[])`,
    [leaseTokens],
  );
}

/**
 * Waits until every signal is in position (or refused) and no execute or protect job is left,
 * then has the account synced once more and waits until no sync job is left. `sweep` runs on
 * every look: skipRetryBackoff where the workers reclaim expired leases themselves, playSweep
 * where nobody but the (slow) cron would.
 */
export async function settleAfterCrashes(
  db: SqlClient,
  signalIds: readonly number[],
  options: { sweep?: (db: SqlClient) => Promise<void>; timeoutMs?: number } = {},
): Promise<void> {
  const sweep = options.sweep ?? skipRetryBackoff;
  await expect
    .poll(
      async () => {
        await sweep(db);
        const unsettled = await db.query<{ what: string }>(
          `select 'signal ' || id || ' ' || status as what from public.signals
            where id = any($1::bigint[]) and status not in ('in_position', 'rejected', 'failed', 'closed')
           union all
           select 'job ' || kind || ' ' || status || ' ' || payload::text || ' ' || coalesce(last_error, '')
             from queue.jobs where kind in ('execute', 'protect')`,
          [signalIds],
        );
        return unsettled.map((row) => row.what);
      },
      { timeout: options.timeoutMs ?? 90_000, interval: 500 },
    )
    .toEqual([]);
  await db.query(`select queue.enqueue('sync', '{}', 'final-sync')`);
  await expect
    .poll(
      async () => {
        await sweep(db);
        const left = await db.query<{ what: string }>(
          `select 'sync ' || payload::text || ' ' || status || ' after ' || attempts || ' attempts: '
                  || coalesce(last_error, '') as what
             from queue.jobs where kind = 'sync'`,
        );
        return left.map((row) => row.what);
      },
      { timeout: 30_000, interval: 250 },
    )
    .toEqual([]);
}

/**
 * The verdict after the crashes, on the exchange's own order book (`venueOrders`, every order
 * the key ever sent) and in the database:
 * - no order on the exchange that the database does not know about;
 * - every signal in position, with exactly one entry on the exchange, filled;
 * - exactly one working stop-loss per signal on the exchange, and no working protective order
 *   of a signal without a live position;
 * - the database agrees: per signal one filled entry and one open leg of each protective kind;
 *   one open position per signal, and no job dead-lettered.
 */
export async function expectOneProtectedEntryPerSignal(
  db: SqlClient,
  venueOrders: readonly Order[],
  signalIds: readonly number[],
): Promise<void> {
  const rows = await db.query<{ client_order_id: string; status: string; status_reason: string | null }>(
    'select client_order_id, status, status_reason from public.orders',
  );
  const known = new Map(rows.map((r) => [r.client_order_id, r]));
  /** An exchange order as the failure messages show it: with what the database says of it. */
  const describe = (order: Order) => {
    const row = known.get(order.clientOrderId);
    return `${order.clientOrderId} ${order.status} (database: ${row ? `${row.status}${row.status_reason ? `, ${row.status_reason}` : ''}` : 'unknown'})`;
  };
  // No exposure the database does not know about.
  expect(venueOrders.filter((order) => !known.has(order.clientOrderId)).map((o) => o.clientOrderId)).toEqual(
    [],
  );

  const signals = await db.query<{
    id: number;
    status: string;
    status_reason: string | null;
    live_position: boolean;
    orders: string | null;
  }>(
    `select s.id, s.status, s.status_reason,
            (select string_agg(o.client_order_id || ' ' || o.status || coalesce(' (' || o.status_reason || ')', ''), '; ' order by o.id)
               from public.signal_orders so join public.orders o on o.id = so.order_id
              where so.signal_id = s.id) as orders,
            exists (select 1 from public.signal_positions sp join public.positions p on p.id = sp.position_id
                     where sp.signal_id = s.id and p.status = 'open' and p.amount > 0) as live_position
       from public.signals s where s.id = any($1::bigint[]) order by s.id`,
    [signalIds],
  );
  // Every signal in position, holding what it bought (a failure names why, and its orders).
  expect(
    signals
      .filter((s) => s.status !== 'in_position' || !s.live_position)
      .map((s) => `signal ${s.id} ${s.status} (${s.status_reason ?? ''}): ${s.orders ?? 'no orders'}`),
  ).toEqual([]);
  expect(signals.map((s) => [s.id, s.status, s.live_position])).toEqual(
    [...signalIds].sort((a, b) => a - b).map((id) => [id, 'in_position', true]),
  );

  const legOf = (order: Order) => parseClientOrderId(order.clientOrderId);
  const live = new Set(signals.filter((s) => s.live_position).map((s) => String(s.id)));
  const working = venueOrders.filter(
    (order) => PROTECTIVE_LEGS.includes(legOf(order)?.leg ?? '') && WORKING.includes(order.status),
  );
  // No protection left working on the venue for a signal that holds nothing.
  expect(
    working.filter((order) => !live.has(legOf(order)?.intent ?? '')).map((o) => o.clientOrderId),
  ).toEqual([]);
  for (const { id } of signals) {
    const mine = venueOrders.filter((order) => legOf(order)?.intent === String(id));
    const entries = mine.filter((order) => legOf(order)?.leg === 'entry');
    expect(
      entries.map((o) => o.status),
      `signal ${id}: entries on the exchange ${entries.map(describe).join('; ')}`,
    ).toEqual(['FILLED']);
    const stops = working.filter(
      (order) => legOf(order)?.intent === String(id) && legOf(order)?.leg === 'stop_loss',
    );
    expect({ signal: id, workingStops: stops.length }).toEqual({ signal: id, workingStops: 1 });
  }

  // The database agrees with the exchange: entries filled, one live protective leg of each kind.
  const legs = await db.query<{ signal_id: number; leg: string; status: string; n: number }>(
    `select so.signal_id, so.leg, o.status, count(*)::int as n
       from public.signal_orders so join public.orders o on o.id = so.order_id
      where so.signal_id = any($1::bigint[]) and o.status in ('open', 'filled', 'pending', 'unknown', 'partially_filled')
      group by 1, 2, 3 order by 1, 2, 3`,
    [signalIds],
  );
  for (const id of signalIds) {
    expect({
      signal: id,
      legs: legs.filter((l) => l.signal_id === id).map((l) => [l.leg, l.status, l.n]),
    }).toEqual({
      signal: id,
      legs: [
        ['entry', 'filled', 1],
        ['stop_loss', 'open', 1],
        ['take_profit', 'open', 1],
      ],
    });
  }
  const [positions] = await db.query<{ n: number }>(
    `select count(*)::int as n from public.positions where status = 'open' and amount > 0`,
  );
  expect(positions!.n).toBe(signalIds.length);
  const dead = await db.query<{ what: string }>(
    `select kind || ' ' || payload::text || ': ' || coalesce(last_error, '') as what from queue.jobs where status = 'dead'`,
  );
  expect(dead.map((row) => row.what)).toEqual([]);
}
