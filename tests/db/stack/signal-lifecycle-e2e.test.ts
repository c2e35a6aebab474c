/**
 * One signal's whole life on the local stack, end to end: real PostgreSQL, the real Deno
 * functions (api, worker) behind the HTTP front, the dispatcher, the real ccxt client of a
 * `testnet` Binance account (vault-encrypted keys) trading on the stack's local exchange
 * server, and a real supabase-js subscriber on the user's private Realtime channel.
 *
 * The market is a crafted 1m file, stepped by hand: the stack's own replay is slowed to a halt
 * (it reveals one flat candle at start), the analyst signal source never scans, and the test
 * reveals the candle that crosses the take-profit only once the position is protected — so the
 * run is the same every time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signAccessToken } from '../../../platform/realtime/access-token.ts';
import { type Stack, startStack } from '../../../platform/stack/index.ts';
import { loadOrCreateSecrets } from '../../../platform/stack/secrets.ts';
import { parseClientOrderId } from '../../../shared/exchange/client-order-id.ts';
import { dec } from '../../../shared/money/decimal.ts';
import {
  encryptSecret,
  loadMasterKeys,
  newUserSalt,
  serializeEnvelope,
} from '../../../shared/vault/index.ts';
import { createUser, freshDatabase, type TestDatabase } from '../../support/databases.ts';

const API_KEY = 'e2e-lifecycle-key';
const API_SECRET = 'e2e-lifecycle-secret';
const SYMBOL = 'BTC/USDT';
const ENTRY = '100';
const STOP_LOSS = '96';
const TAKE_PROFIT = '104';
const LIFECYCLE = ['new', 'analyzing', 'monitoring', 'ready', 'in_position', 'closed'];
/** What the session's replay loop enqueues on every candle (platform/stack/index.ts). */
const MARKET_JOBS = ['sync', 'monitor', 'risk'];

const scratch = mkdtempSync(join(tmpdir(), 'tradeflow-e2e-'));

/**
 * 60 candles of a gentle climb to 100 (history: the analyst never rejects a long on it), one
 * flat candle at 100 (revealed when the stack starts), then the candle that crosses the
 * take-profit (high 106, close 105.5) and a flat tail.
 */
function writeMarket(): string {
  const rows: number[][] = [];
  let ts = 0;
  const push = (open: number, high: number, low: number, close: number) => {
    rows.push([ts, open, high, low, close, 1000]);
    ts += 60_000;
  };
  for (let i = 0; i < 60; i++) {
    const open = 94 + i * 0.1;
    const close = +(open + 0.1).toFixed(2);
    push(+open.toFixed(2), +(close + 0.05).toFixed(2), +(open - 0.05).toFixed(2), close);
  }
  // The warmup ends on 100: make the last history candle close exactly there.
  rows[rows.length - 1]![4] = 100;
  push(100, 100.3, 99.7, 100);
  push(100, 106, 99.8, 105.5);
  // (Long enough: the replay takes at most half of a file as history.)
  for (let i = 0; i < 70; i++) push(105.5, 105.7, 105.3, 105.5);
  const path = join(scratch, 'BTC_USDT-1m.json');
  writeFileSync(path, JSON.stringify(rows));
  return path;
}

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The signal's audited transitions, for failure messages. */
async function history(signalId: number) {
  return stack.db.query(
    'select from_status, to_status, actor, reason from public.signal_events where signal_id = $1 order by id',
    [signalId],
  );
}

function realtimeClient(stack: Stack): SupabaseClient {
  return createClient(stack.url, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
}

let database: TestDatabase;
let stack: Stack;
let traderId: number;
let accountId: number;
const clients: SupabaseClient[] = [];

beforeAll(async () => {
  database = await freshDatabase('postgres');
  const stateDir = join(scratch, 'state');
  // The stack reads its secrets from here: the test encrypts the account's keys with its master key.
  const secrets = loadOrCreateSecrets(stateDir);
  stack = await startStack({
    databaseUrl: database.url!,
    stateDir,
    port: 0,
    dataFiles: [writeMarket()],
    warmup: 60,
    // The session's own replay stands still after its first candle; the test steps the market.
    speed: 0.000_001,
    // The analyst signal source never posts: this signal is the only one.
    signalEvery: Number.MAX_SAFE_INTEGER,
    analyst: 'deterministic',
    env: {},
    log: () => {},
  });
  const { db } = stack;
  const owner = stack.demo.userId;

  stack.replay.exchange.registerAccount(API_KEY, { secret: API_SECRET, balances: { USDT: '10000' } });
  const [account] = await db.query<{ id: number }>(
    `insert into public.exchange_accounts (owner, exchange, mode, label, api_key_ciphertext, api_secret_ciphertext,
       key_salt, key_version, permissions)
     values ($1, 'binance', 'testnet', 'E2E testnet', 'x', 'x', 'x', 1, array['read', 'trade']) returning id`,
    [owner],
  );
  accountId = account!.id;
  const keyring = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: secrets.masterKey });
  const salt = newUserSalt();
  const context = { userId: owner, accountId: String(accountId), userSalt: salt };
  await db.query(
    `update public.exchange_accounts set api_key_ciphertext = $2, api_secret_ciphertext = $3, key_salt = $4 where id = $1`,
    [
      accountId,
      serializeEnvelope(await encryptSecret(keyring, API_KEY, context)),
      serializeEnvelope(await encryptSecret(keyring, API_SECRET, context)),
      salt,
    ],
  );
  const [trader] = await db.query<{ id: number }>(
    `insert into public.traders (owner, name, account_id, sizing_rule, sizing_value, max_positions,
       allowed_symbols, auto_execute)
     values ($1, 'E2E testnet trader', $2, 'fixed_quote', 50, 1, array[$3], true) returning id`,
    [owner, accountId, SYMBOL],
  );
  traderId = trader!.id;
}, 120_000);

afterAll(async () => {
  for (const client of clients) {
    await client.removeAllChannels().catch(() => {});
    client.realtime.disconnect();
  }
  await stack?.stop();
  await database?.close();
  rmSync(scratch, { recursive: true, force: true });
});

it('takes a signal from new to closed on the testnet venue, with fills, protection, P&L and realtime', async () => {
  const { db } = stack;
  const demo = stack.demo.userId;

  // The demo user's subscriber on its private channel.
  const mine = realtimeClient(stack);
  clients.push(mine);
  await mine.realtime.setAuth(stack.demoToken);
  const received: { id: number; status: string }[] = [];
  const channel = mine
    .channel(`user:${demo}`, { config: { private: true } })
    .on('broadcast', { event: 'signal' }, (message) => {
      const record = (message.payload as { record: { id: number; status: string } }).record;
      received.push({ id: record.id, status: record.status });
    });
  await new Promise<void>((resolve, reject) =>
    channel.subscribe((status, error) =>
      status === 'SUBSCRIBED' ? resolve() : status !== 'CLOSED' && reject(error ?? new Error(status)),
    ),
  );

  // Another user's client asks for the demo user's channel: refused, and hears nothing.
  const otherUser = await createUser(db);
  const intruder = realtimeClient(stack);
  clients.push(intruder);
  await intruder.realtime.setAuth(await signAccessToken(stack.jwtSecret, otherUser));
  const overheard: unknown[] = [];
  const refused = await new Promise<string>((resolve) =>
    intruder
      .channel(`user:${demo}`, { config: { private: true } })
      .on('broadcast', { event: '*' }, (message) => overheard.push(message))
      .subscribe((status) => {
        if (status !== 'CLOSED') resolve(status);
      }),
  );
  expect(refused).toBe('CHANNEL_ERROR');

  // The signal, through the api function as the demo user.
  const created = await fetch(`${stack.url}/functions/v1/api/signals`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.demoToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      trader_id: traderId,
      symbol: SYMBOL,
      side: 'long',
      timeframe: '1m',
      entry_price: ENTRY,
      stop_loss: STOP_LOSS,
      take_profit: TAKE_PROFIT,
    }),
  });
  expect(created.status).toBe(201);
  const signalId = ((await created.json()) as { signal: { id: number } }).signal.id;

  // Drive the market the way the session does, but step it only once the position is protected.
  let stepped = false;
  const status = await eventually(
    async () => {
      const [row] = await db.query<{ status: string }>('select status from public.signals where id = $1', [
        signalId,
      ]);
      if (row?.status === 'closed') return row.status;
      if (row && ['rejected', 'failed', 'expired', 'cancelled'].includes(row.status))
        throw new Error(`the signal ended ${row.status}: ${JSON.stringify(await history(signalId))}`);
      if (!stepped && row?.status === 'in_position') {
        const protectedLegs = await db.query(
          `select 1 from public.signal_orders so join public.orders o on o.id = so.order_id
            where so.signal_id = $1 and so.leg in ('stop_loss', 'take_profit') and o.status = 'open'`,
          [signalId],
        );
        if (protectedLegs.length === 2) {
          const tick = await stack.replay.tick();
          expect(tick.revealed.map((r) => r.candle.high)).toEqual(['106']);
          stepped = true;
        }
      }
      await db.query(
        `select ${MARKET_JOBS.map((_, i) => `queue.enqueue($${i + 1}, '{}'::jsonb, 'cron:' || $${i + 1})`).join(', ')}`,
        MARKET_JOBS,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      return undefined;
    },
    'the signal to close',
    75_000,
  );
  expect(status).toBe('closed');

  // The audited lifecycle.
  const events = await db.query<{ to_status: string }>(
    'select to_status from public.signal_events where signal_id = $1 order by id',
    [signalId],
  );
  expect(events.map((e) => e.to_status)).toEqual(LIFECYCLE);

  // The orders: entry filled, the stop-loss resting on the venue cancelled, the take-profit filled.
  const legs = await db.query<{ leg: string; status: string; emulated: boolean; client_order_id: string }>(
    `select so.leg, o.status, o.emulated, o.client_order_id
       from public.signal_orders so join public.orders o on o.id = so.order_id
      where so.signal_id = $1 order by o.id`,
    [signalId],
  );
  const entry = legs.filter((l) => l.leg === 'entry');
  expect(entry.map((l) => l.status)).toEqual(['filled']);
  const stops = legs.filter((l) => l.leg === 'stop_loss');
  const profits = legs.filter((l) => l.leg === 'take_profit');
  expect(stops).toHaveLength(1);
  expect(profits).toHaveLength(1);
  // The price rose through the take-profit: it filled (native), or (emulated, as on spot where
  // the native stop locks the base) it fired one market exit that filled; the stop was cancelled.
  expect(stops[0]!.status).toBe('cancelled');
  const exitLegs = legs.filter((l) => l.leg === 'exit');
  if (profits[0]!.emulated) {
    expect(profits[0]!.status).toBe('cancelled');
    expect(exitLegs.map((l) => l.status)).toEqual(['filled']);
  } else {
    expect(profits[0]!.status).toBe('filled');
    expect(exitLegs).toEqual([]);
  }
  expect(legs.filter((l) => ['open', 'pending', 'partially_filled', 'unknown'].includes(l.status))).toEqual(
    [],
  );

  // The venue agrees: one filled entry, the native stop cancelled, what was sent and filled matches.
  const onVenue = stack.replay.exchange.orders(API_KEY);
  const venueLeg = (leg: string) =>
    onVenue.filter((o) => {
      const parsed = parseClientOrderId(o.clientOrderId);
      return parsed?.intent === String(signalId) && parsed.leg === leg;
    });
  expect(venueLeg('entry').map((o) => o.status)).toEqual(['FILLED']);
  if (!stops[0]!.emulated) expect(venueLeg('stop_loss').map((o) => o.status)).toEqual(['CANCELED']);
  const venueExits = [...venueLeg('take_profit'), ...venueLeg('exit')];
  expect(venueExits.filter((o) => o.status === 'FILLED')).toHaveLength(1);
  const known = new Set(legs.map((l) => l.client_order_id));
  expect(onVenue.filter((o) => !known.has(o.clientOrderId)).map((o) => o.clientOrderId)).toEqual([]);

  // The fills, and the P&L computed from them as the ledger does: cost basis of what was held
  // (a base fee leaves the account), every fee in quote (base fees at their fill price).
  const fills = await db.query<{
    side: string;
    price: string;
    amount: string;
    fee_cost: string;
    fee_currency: string | null;
  }>(
    `select t.side, t.price::text, t.amount::text, t.fee_cost::text, t.fee_currency
       from public.trade_executions t join public.signal_orders so on so.order_id = t.order_id
      where so.signal_id = $1 order by t.id`,
    [signalId],
  );
  const buys = fills.filter((f) => f.side === 'buy');
  const sells = fills.filter((f) => f.side === 'sell');
  expect(buys.length).toBeGreaterThan(0);
  expect(sells.length).toBeGreaterThan(0);
  let held = dec(0);
  let costBasis = dec(0);
  let fees = dec(0);
  let proceeds = dec(0);
  let sold = dec(0);
  for (const fill of fills) {
    const amount = dec(fill.amount);
    const price = dec(fill.price);
    const baseFee = fill.fee_currency === 'BTC' ? dec(fill.fee_cost) : dec(0);
    if (fill.fee_currency === 'USDT') fees = fees.plus(fill.fee_cost);
    else if (fill.fee_currency === 'BTC') fees = fees.plus(dec(fill.fee_cost).mul(price));
    if (fill.side === 'buy') {
      held = held.plus(amount).minus(baseFee);
      costBasis = costBasis.plus(price.mul(amount.minus(baseFee)));
    } else {
      sold = sold.plus(amount);
      proceeds = proceeds.plus(price.mul(amount));
    }
  }
  expect(sold.toFixed()).toBe(held.toFixed()); // the exit sold all that was held: no dust
  for (const fill of sells) expect(dec(fill.price).gte(TAKE_PROFIT)).toBe(true);
  const expectedPnl = proceeds.minus(costBasis).minus(fees);
  expect(expectedPnl.gt(0)).toBe(true);

  const [position] = await db.query<{ status: string; amount: string; realized_pnl: string }>(
    `select p.status, p.amount::text, p.realized_pnl::text
       from public.signal_positions sp join public.positions p on p.id = sp.position_id
      where sp.signal_id = $1`,
    [signalId],
  );
  expect(position?.status).toBe('closed');
  expect(dec(position!.amount).isZero()).toBe(true);
  expect(dec(position!.realized_pnl).toFixed()).toBe(expectedPnl.toFixed());
  const [signal] = await db.query<{ realized_pnl: string | null }>(
    'select realized_pnl::text from public.signals where id = $1',
    [signalId],
  );
  expect(dec(signal!.realized_pnl!).toFixed()).toBe(expectedPnl.toFixed());

  // Every state change reached the subscriber, in order (repeats of one state — updates that do
  // not change it — collapse).
  const seen = await eventually(async () => {
    const statuses = received.filter((r) => r.id === signalId).map((r) => r.status);
    const distinct = statuses.filter((s, i) => i === 0 || statuses[i - 1] !== s);
    return distinct.at(-1) === 'closed' ? distinct : undefined;
  }, 'the closed broadcast');
  expect(seen).toEqual(LIFECYCLE);
  expect(overheard).toEqual([]);
}, 100_000);
