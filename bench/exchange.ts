/**
 * exchange.order_roundtrip_ms_p50 / _p99 — market orders from the real `ccxt.binance` client to
 * the local exchange server and back (loopback HTTP, signing, parsing; no ccxt throttle).
 *
 * exchange.adapter_overhead_ms_p50 — what the CCXT adapter adds per order (rounding with
 * ccxt's helpers, limit checks, mapping to decimal strings): the median of the paired
 * differences adapter − raw ccxt, the two interleaved order by order (rotating which goes first).
 *
 * exchange.guarded_order_ms_p50 / exchange.placement_ms_p50 — the same order with the
 * account's guards in PostgreSQL (circuit breaker + request budget: one statement before the
 * request), and the whole exactly-once placement (pending row committed, send, record), on the
 * benchmark's durable PostgreSQL 15.
 */

import { migrate } from '../platform/db/migrate.ts';
import type { PgCluster } from '../platform/db/pg-cluster.ts';
import { binanceAgainst } from '../platform/exchange-server/ccxt-client.ts';
import { startExchangeServer } from '../platform/exchange-server/server.ts';
import { connectPostgres } from '../shared/db/postgres-client.ts';
import { CcxtExchange } from '../shared/exchange/ccxt/ccxt-exchange.ts';
import { AccountRequestGuard } from '../shared/exchange/ccxt/request-guard.ts';
import { placeOrder } from '../shared/exchange/placement.ts';
import { percentile, report } from './report.ts';

const ORDERS = Number(process.env.BENCH_EXCHANGE_ORDERS ?? 300);
const WARMUP = 20;
const AMOUNT = '0.001';

function p(values: number[], q: number): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    q,
  );
}

async function timed(call: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await call();
  return performance.now() - started;
}

export async function benchExchange(cluster: PgCluster): Promise<void> {
  const server = await startExchangeServer({});
  const balances = { USDT: 10_000_000, BTC: 1_000 };
  for (const key of ['bench-raw', 'bench-adapter', 'bench-guarded', 'bench-placement']) {
    server.registerAccount(key, { secret: 's', balances });
  }
  const clientFor = (apiKey: string) =>
    binanceAgainst(server.url, { apiKey, secret: 's' }, { enableRateLimit: false, timeout: 10_000 });

  const admin = connectPostgres(cluster.url(), { max: 1 });
  await admin.query('create database bench_exchange');
  await admin.close();
  const db = connectPostgres(cluster.url('bench_exchange'), { max: 2, prepare: true });
  try {
    await migrate(db);
    const [user] = await db.query<{ id: string }>(
      `insert into auth.users (email) values ('bench@example.test') returning id`,
    );
    const [account] = await db.query<{ id: number }>(
      `insert into public.exchange_accounts (owner, exchange, mode, label, api_key_ciphertext, api_secret_ciphertext,
                                             key_salt, key_version)
       values ($1, 'binance', 'live', 'bench', 'c', 'c', 's', 1) returning id`,
      [user!.id],
    );
    const accountId = account!.id;
    await db.query('select internal.set_exchange_request_budget($1, 100000, 100000)', [accountId]);

    const raw = clientFor('bench-raw');
    const adapter = new CcxtExchange(clientFor('bench-adapter'));
    const guarded = new CcxtExchange(clientFor('bench-guarded'), {
      guard: new AccountRequestGuard({ db, accountId }),
    });
    const placing = new CcxtExchange(clientFor('bench-placement'));
    await Promise.all([
      raw.loadMarkets(),
      adapter.market('BTC/USDT'),
      guarded.market('BTC/USDT'),
      placing.market('BTC/USDT'),
    ]);

    const rawMs: number[] = [];
    const adapterMs: number[] = [];
    const guardedMs: number[] = [];
    const placementMs: number[] = [];
    for (let i = 0; i < WARMUP + ORDERS; i++) {
      const side = i % 2 === 0 ? 'buy' : 'sell';
      const paths: (() => Promise<unknown>)[] = [
        () =>
          raw.createOrder('BTC/USDT', 'market', side, Number(AMOUNT), undefined, {
            clientOrderId: `raw-${i}`,
          }),
        () =>
          adapter.createOrder({
            clientOrderId: `ad-${i}`,
            symbol: 'BTC/USDT',
            side,
            type: 'market',
            amount: AMOUNT,
          }),
        () =>
          guarded.createOrder({
            clientOrderId: `gd-${i}`,
            symbol: 'BTC/USDT',
            side,
            type: 'market',
            amount: AMOUNT,
          }),
        () =>
          placeOrder(db, placing, {
            intentId: `bench${i}`,
            leg: 'entry',
            attempt: 1,
            owner: user!.id,
            accountId,
            symbol: 'BTC/USDT',
            side,
            type: 'market',
            amount: AMOUNT,
          }),
      ];
      // Each path goes first equally often, so none pays for another's after-effects (GC, fsync).
      const sample: number[] = [];
      for (let k = 0; k < paths.length; k++) {
        const index = (i + k) % paths.length;
        sample[index] = await timed(paths[index]!);
      }
      if (i < WARMUP) continue;
      rawMs.push(sample[0]!);
      adapterMs.push(sample[1]!);
      guardedMs.push(sample[2]!);
      placementMs.push(sample[3]!);
    }

    const context = {
      orders: ORDERS,
      exchange: 'local binance-compatible server, loopback',
      ccxt: 'binance 4.5.84',
    };
    report('exchange.order_roundtrip_ms_p50', p(rawMs, 50), 'ms', context);
    report('exchange.order_roundtrip_ms_p99', p(rawMs, 99), 'ms', context);
    // Paired: the median of (adapter − raw) per iteration, which cancels the drift both share.
    const paired = adapterMs.map((ms, k) => ms - rawMs[k]!);
    report('exchange.adapter_overhead_ms_p50', p(paired, 50), 'ms', {
      ...context,
      adapter_ms_p50: Number(p(adapterMs, 50).toFixed(3)),
      difference_of_medians_ms: Number((p(adapterMs, 50) - p(rawMs, 50)).toFixed(3)),
    });
    report('exchange.guarded_order_ms_p50', p(guardedMs, 50), 'ms', { ...context, postgres: '15, fsync on' });
    report('exchange.placement_ms_p50', p(placementMs, 50), 'ms', { ...context, postgres: '15, fsync on' });
  } finally {
    await db.close();
    await server.close();
  }
}
