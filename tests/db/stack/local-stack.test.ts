/**
 * The local stack end to end: real Deno functions behind the HTTP front, the Realtime gateway
 * with a real supabase-js client, the dispatcher, and `npm start --exit-when-done` as a child
 * process. The programmatic stack runs on the real PostgreSQL (DATABASE_URL path); the CLI run
 * uses the embedded default (PGlite through the multiplexer).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { repoRoot } from '../../../platform/paths.ts';
import { type Stack, startStack } from '../../../platform/stack/index.ts';
import { simulateMarket } from '../../../shared/market-data/simulator.ts';
import { freshDatabase, type TestDatabase } from '../../support/databases.ts';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'tradeflow-stack-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A small OHLCV file named like the real ones, so the symbol comes from its name. */
function writeSlice(name: string, count: number): string {
  const candles = simulateMarket({
    seed: 11,
    symbol: 'BTC/USDT',
    timeframe: '1m',
    start: 0,
    startPrice: 30000,
    count,
  });
  const path = join(scratch, name);
  writeFileSync(
    path,
    JSON.stringify(candles.map((c) => [c.ts, +c.open, +c.high, +c.low, +c.close, +c.volume])),
  );
  return path;
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the local stack, started programmatically on PostgreSQL', () => {
  let database: TestDatabase;
  let stack: Stack;

  beforeAll(async () => {
    database = await freshDatabase('postgres');
    stack = await startStack({
      databaseUrl: database.url!,
      stateDir: join(scratch, 'state'),
      port: 0,
      dataFiles: [writeSlice('BTC_USDT-1m.json', 300)],
      // A replay slow enough that the tests below see a quiet market.
      speed: 0.001,
      env: {},
      log: () => {},
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await database?.close();
  });

  it('serves the worker through real Deno, with the worker key only', async () => {
    const ok = await fetch(`${stack.url}/functions/v1/worker/health`, {
      headers: { authorization: `Bearer ${stack.workerKey}` },
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { handlers: string[] }).handlers).toEqual(stack.workerHandlers);
    const refused = await fetch(`${stack.url}/functions/v1/worker/health`, {
      headers: { authorization: 'Bearer wrong' },
    });
    expect(refused.status).toBe(401);
  });

  it('serves the api function at its Supabase path', async () => {
    const response = await fetch(`${stack.url}/functions/v1/api/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect((await fetch(`${stack.url}/functions/v1/nope/health`)).status).toBe(404);
  });

  it('prepares the demo trader for the replayed symbols, on a funded paper account', async () => {
    const [trader] = await stack.db.query<{ allowed_symbols: string[] }>(
      'select allowed_symbols from public.traders where id = $1',
      [stack.demo.traderId],
    );
    expect(trader?.allowed_symbols).toEqual(['BTC/USDT']);
    const balances = await stack.db.query<{ asset: string; free: string }>(
      'select asset, free::text as free from public.paper_balances where account_id = $1',
      [stack.demo.accountId],
    );
    expect(balances).toEqual([{ asset: 'USDT', free: '10000' }]);
  });

  it('delivers a broadcast to the demo user on its private channel when a signal is created', async () => {
    const supabase: SupabaseClient = createClient(stack.url, stack.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never },
    });
    try {
      await supabase.realtime.setAuth(stack.demoToken);
      const received: { status?: string; id?: number }[] = [];
      const channel = supabase
        .channel(`user:${stack.demo.userId}`, { config: { private: true } })
        .on('broadcast', { event: 'signal' }, (message) => {
          received.push((message.payload as { record: { status: string; id: number } }).record);
        });
      await new Promise<void>((resolve, reject) =>
        channel.subscribe((status, error) =>
          status === 'SUBSCRIBED' ? resolve() : status !== 'CLOSED' && reject(error ?? new Error(status)),
        ),
      );
      // Created through the api function as the demo user, exactly as a client would.
      const created = await fetch(`${stack.url}/functions/v1/api/signals`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.demoToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          trader_id: stack.demo.traderId,
          symbol: 'BTC/USDT',
          side: 'long',
          timeframe: '1m',
        }),
      });
      expect(created.status).toBe(201);
      const { signal } = (await created.json()) as { signal: { id: number } };
      const first = await eventually(async () => received.find((record) => record.id === signal.id));
      expect(first.status).toBe('new');
    } finally {
      await supabase.removeAllChannels();
      await supabase.realtime.disconnect();
    }
  });

  it('POSTs the worker when a job is enqueued', async () => {
    await stack.dispatcher.idle();
    const before = stack.dispatcher.posts();
    await stack.db.query(`select queue.enqueue('sync', '{}', 'cron:sync')`);
    await eventually(async () => (stack.dispatcher.posts() > before ? true : undefined));
    // The worker drained it: the queue holds no due sync job afterwards.
    await eventually(async () => {
      const rows = await stack.db.query(`select 1 from queue.jobs where kind = 'sync' and status <> 'dead'`);
      return rows.length === 0 ? true : undefined;
    });
  });
});

describe('npm start', () => {
  it('replays a short file to the end with --exit-when-done and prints the summary as one JSON line', async () => {
    const file = writeSlice('ETH_USDT-1m.json', 120);
    const { stdout } = await run(
      'npx',
      [
        'tsx',
        'platform/cli/start.ts',
        '--data',
        file,
        '--speed',
        'max',
        '--warmup',
        '60',
        '--signal-every',
        '5',
        '--exit-when-done',
        '--port',
        '0',
        '--db-port',
        '0',
        '--data-dir',
        join(scratch, 'pgdata'),
      ],
      { cwd: repoRoot, env: { ...process.env, DATABASE_URL: '', OPENAI_API_KEY: '' }, timeout: 90_000 },
    );
    const summary = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(summary).toMatchObject({
      database: 'pglite',
      analyst: 'deterministic',
      speed: 'max',
      symbols: ['ETH/USDT'],
      ended: true,
      settled: true,
      candles: 60,
      queue: { due: 0, running: 0, dead: 0 },
    });
    expect(summary.signalsPosted).toBe(
      Object.values(summary.signals as Record<string, number>).reduce((a, b) => a + b, 0),
    );
    // The demo trader's record counts exactly the signals the session closed.
    expect(summary.traders).toHaveLength(1);
    expect(summary.traders[0].closed).toBe(summary.signals.closed ?? 0);
    expect(summary.traders[0].wins + summary.traders[0].losses).toBeLessThanOrEqual(
      summary.traders[0].closed,
    );
  }, 90_000);
});
