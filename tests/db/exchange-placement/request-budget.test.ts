import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountRequestGuard } from '../../../shared/exchange/ccxt/request-guard.ts';
import { RequestBudgetExhausted } from '../../../shared/exchange/errors.ts';
import { RequestBudget } from '../../../shared/exchange/request-budget.ts';
import { liveAccount } from '../../support/builders.ts';
import {
  createUser,
  describeOnEachBackend,
  freshDatabase,
  type TestDatabase,
} from '../../support/databases.ts';

const T0 = Date.UTC(2026, 0, 1, 12);

describeOnEachBackend('the request budget of an exchange account', (database) => {
  async function budget(settings = { capacity: 5, refillPerSecond: 2 }) {
    const { db } = database();
    const accountId = await liveAccount(db, await createUser(db));
    const clock = { now: T0 };
    const b = new RequestBudget(db, accountId, () => clock.now);
    await b.configure(settings);
    return { clock, budget: b, accountId };
  }

  it('grants a full bucket at once, then says how long to wait without taking anything', async () => {
    const { budget: b } = await budget();
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await b.take());
    expect(answers).toEqual([0, 0, 0, 0, 0, 500]);
    expect(await b.take(3)).toBe(1_500);
  });

  it('refills at its rate with the clock, never above capacity', async () => {
    const { budget: b, clock } = await budget();
    for (let i = 0; i < 5; i++) await b.take();
    clock.now = T0 + 1_000; // +2 tokens
    expect([await b.take(), await b.take(), await b.take()]).toEqual([0, 0, 500]);
    clock.now = T0 + 3_600_000; // an hour later: full, not 7 200
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await b.take());
    expect(answers.filter((wait) => wait === 0)).toHaveLength(5);
  });

  it('refuses a request that costs more than the bucket can ever hold', async () => {
    const { budget: b } = await budget();
    await expect(b.take(6)).rejects.toThrow(/exceeds the budget capacity 5/);
  });

  it('makes the guard wait for the refill and then send, without spinning', async () => {
    const { db } = database();
    const { clock, accountId } = await budget({ capacity: 1, refillPerSecond: 4 });
    const slept: number[] = [];
    const guard = new AccountRequestGuard({
      db,
      accountId,
      clock: () => clock.now,
      sleep: async (ms) => {
        slept.push(ms);
        clock.now += ms;
      },
    });
    let sent = 0;
    for (let i = 0; i < 3; i++)
      await guard.run('fetchTicker', 1, async () => {
        sent += 1;
      });
    expect(sent).toBe(3);
    expect(slept).toEqual([250, 250]);
  });

  it('gives up with RequestBudgetExhausted, not sent, when the wait would exceed the limit', async () => {
    const { db } = database();
    const { accountId } = await budget({ capacity: 1, refillPerSecond: 0.1 });
    const guard = new AccountRequestGuard({
      db,
      accountId,
      clock: () => T0,
      maxBudgetWaitMs: 1_000,
      sleep: async () => {},
    });
    await guard.run('fetchTicker', 1, async () => {});
    let called = false;
    await expect(
      guard.run('createOrder', 1, async () => {
        called = true;
      }),
    ).rejects.toBeInstanceOf(RequestBudgetExhausted);
    expect(called).toBe(false);
  });
});

describe('the request budget under concurrency (PostgreSQL, several connections)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase('postgres', { pool: 8 });
  });
  afterAll(async () => {
    await database.close();
  });

  it('never grants more than the bucket holds to concurrent callers', async () => {
    const { db } = database;
    const accountId = await liveAccount(db, await createUser(db));
    const budget = new RequestBudget(db, accountId, () => T0);
    await budget.configure({ capacity: 25, refillPerSecond: 1 });
    const waits = await Promise.all(Array.from({ length: 200 }, () => budget.take()));
    expect(waits.filter((wait) => wait === 0)).toHaveLength(25);
    const connections = await db.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`,
    );
    expect(connections[0]!.n).toBeGreaterThan(1);
  });

  it('grants at most capacity plus what refilled while many callers race with a moving clock', async () => {
    const { db } = database;
    const accountId = await liveAccount(db, await createUser(db));
    const started = Date.now();
    const budget = new RequestBudget(db, accountId); // the database clock
    await budget.configure({ capacity: 10, refillPerSecond: 20 });
    let granted = 0;
    const deadline = started + 1_000;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < deadline) if ((await budget.take()) === 0) granted += 1;
      }),
    );
    const elapsedSeconds = (Date.now() - started) / 1_000;
    expect(granted).toBeGreaterThan(10);
    expect(granted).toBeLessThanOrEqual(10 + Math.ceil(20 * elapsedSeconds) + 1);
  });
});
