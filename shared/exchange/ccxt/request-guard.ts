/**
 * What the adapter consults before every request to the venue: the account's circuit breaker
 * and its shared request budget, both in Postgres. Asking both costs one round trip (one
 * statement); waiting for the budget sleeps, never spins; the outcome is reported back to
 * the breaker only when it can change something (a failure, or a success after failures).
 */
import type { SqlQueryable } from '../../db/sql.ts';
import {
  CircuitBreaker,
  type CircuitBreakerSettings,
  type CircuitPermit,
  type Clock,
} from '../circuit-breaker.ts';
import {
  CircuitOpen,
  classifyExchangeError,
  describeExchangeError,
  isVenueFailure,
  RequestBudgetExhausted,
} from '../errors.ts';
import { RequestBudget } from '../request-budget.ts';
import { realSleep, type Sleep } from '../retry.ts';

export interface RequestGuard {
  /** Runs one venue request of weight `cost` if the guards allow it; throws RequestNotSent otherwise. */
  run<T>(operation: string, cost: number, call: () => Promise<T>): Promise<T>;
}

/** No guard: every request goes straight out (tests of the raw adapter, the bench baseline). */
export const unguarded: RequestGuard = { run: (_operation, _cost, call) => call() };

export interface AccountGuardOptions {
  db: SqlQueryable;
  accountId: number;
  breaker?: Partial<CircuitBreakerSettings>;
  /** Longest total wait for budget before giving up with RequestBudgetExhausted (default 10 s). */
  maxBudgetWaitMs?: number;
  /** Injected clock for the database decisions; absent → the database clock. */
  clock?: Clock;
  sleep?: Sleep;
}

export class AccountRequestGuard implements RequestGuard {
  readonly breaker: CircuitBreaker;
  readonly budget: RequestBudget;
  private readonly db: SqlQueryable;
  private readonly maxWaitMs: number;
  private readonly sleep: Sleep;

  constructor(options: AccountGuardOptions) {
    this.db = options.db;
    this.breaker = new CircuitBreaker(options.db, options.accountId, options.breaker, options.clock);
    this.budget = new RequestBudget(options.db, options.accountId, options.clock);
    this.maxWaitMs = options.maxBudgetWaitMs ?? 10_000;
    this.sleep = options.sleep ?? realSleep;
  }

  async run<T>(_operation: string, cost: number, call: () => Promise<T>): Promise<T> {
    const permit = await this.admit(cost);
    try {
      const result = await call();
      if (permit !== 'allow') await this.breaker.recordSuccess();
      return result;
    } catch (error) {
      if (isVenueFailure(error)) await this.breaker.recordFailure(describeExchangeError(error));
      else if (permit !== 'allow' && classifyExchangeError(error) !== 'bug')
        await this.breaker.recordSuccess();
      throw error;
    }
  }

  /** Permit and budget in one statement; the budget is only drawn when the circuit lets the request out. */
  private async admit(cost: number): Promise<CircuitPermit> {
    const permitSql = this.breaker.permitSql(1);
    const takeSql = this.budget.takeSql(permitSql.params.length + 1, cost);
    // OFFSET 0 keeps the subquery from being flattened, so the permit is decided first.
    const rows = await this.db.query<{ permit: CircuitPermit; wait_ms: number | null }>(
      `select p.permit, case when p.permit = 'refuse' then null else ${takeSql.sql} end as wait_ms
         from (select ${permitSql.sql} as permit offset 0) p`,
      [...permitSql.params, ...takeSql.params],
    );
    const permit = rows[0]!.permit;
    if (permit === 'refuse') throw new CircuitOpen(this.breaker.accountId);
    let wait = Number(rows[0]!.wait_ms);
    let waited = 0;
    while (wait > 0) {
      if (waited + wait > this.maxWaitMs) throw new RequestBudgetExhausted(this.budget.accountId, waited);
      await this.sleep(wait);
      waited += wait;
      wait = await this.budget.take(cost);
    }
    return permit;
  }
}
