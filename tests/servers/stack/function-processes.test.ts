/**
 * The Deno processes of the local stack's Edge Functions (platform/stack/functions.ts): they
 * never outlive the stack — even a stack killed with SIGKILL, whose exit hooks never run, leaves
 * no orphan serving requests or holding jobs — and while the stack lives, one that dies is
 * started again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FunctionProcess,
  type SupervisedFunction,
  superviseFunction,
} from '../../../platform/stack/functions.ts';
import { isAlive, killNow, spawnTsx, waitForLine, waitUntilGone } from '../../support/processes.ts';

const API_ENV = {
  SUPABASE_DB_URL: 'postgres://postgres@127.0.0.1:9/unused',
  SUPABASE_JWT_SECRET: 'function-processes-test-jwt-secret',
  TRADEFLOW_MASTER_KEY: Buffer.alloc(32, 5).toString('base64'),
};

describe('a function process', () => {
  it('exits when the Node process that started it is killed with SIGKILL', async () => {
    const host = spawnTsx('tests/support/function-host.ts');
    let pid: number | undefined;
    try {
      pid = Number((await waitForLine(host, /^function-pid (\d+)$/))[1]);
      expect(isAlive(pid)).toBe(true);
      await killNow(host);
      expect(await waitUntilGone(pid, 5_000)).toBe(true);
    } finally {
      await killNow(host);
      // An orphan left by a failure must not outlive the test run either.
      if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);
});

describe('a supervised function', () => {
  let supervised: SupervisedFunction | undefined;
  afterEach(async () => {
    await supervised?.stop();
    supervised = undefined;
  });

  it('is started again when its process dies, on a new port the caller routes to, and says so', async () => {
    const served: FunctionProcess[] = [];
    const logged: string[] = [];
    supervised = await superviseFunction({
      name: 'api',
      env: API_ENV,
      onStart: (fn) => served.push(fn),
      log: (line) => logged.push(line),
      backoff: { initialMs: 50 },
    });
    expect(served).toHaveLength(1);
    const first = served[0]!;
    expect(supervised.pid()).toBe(first.pid);

    process.kill(first.pid, 'SIGKILL');
    await expect.poll(() => served.length, { timeout: 30_000, interval: 50 }).toBe(2);
    const second = served[1]!;
    expect(second.pid).not.toBe(first.pid);
    expect(supervised.pid()).toBe(second.pid);
    expect(supervised.url()).toBe(second.url);
    expect(supervised.restarts()).toBe(1);
    const health = await fetch(`${second.url}/api/health`);
    expect(health.status).toBe(200);
    expect(logged).toEqual([
      'function api exited unexpectedly (signal SIGKILL); restarting in 50 ms',
      `function api restarted (pid ${second.pid}, restart 1)`,
    ]);
  }, 60_000);

  it('is not started again once it has been stopped', async () => {
    const served: FunctionProcess[] = [];
    supervised = await superviseFunction({
      name: 'api',
      env: API_ENV,
      onStart: (fn) => served.push(fn),
      backoff: { initialMs: 10 },
    });
    const pid = supervised.pid()!;
    await supervised.stop();
    expect(isAlive(pid)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(served).toHaveLength(1);
    expect(supervised.restarts()).toBe(0);
    expect(supervised.pid()).toBeUndefined();
  }, 60_000);
});
