/**
 * The request budget of one exchange account: a token bucket in Postgres
 * (internal.exchange_request_budgets, migration 20261121002000), taken from with one atomic
 * function call, so concurrent invocations sharing an account never exceed it together —
 * which is how several processes behind one IP avoid the venue's rate-limit ban.
 */
import type { SqlQueryable } from '../db/sql.ts';
import type { Clock } from './circuit-breaker.ts';

export interface RequestBudgetSettings {
  /** Tokens the bucket holds when full (a burst). */
  capacity: number;
  /** Tokens added per second. */
  refillPerSecond: number;
}

export class RequestBudget {
  constructor(
    private readonly db: SqlQueryable,
    readonly accountId: number,
    private readonly clock?: Clock,
  ) {}

  /** SQL (and its parameters from `$first`) taking `cost` tokens; the request guard folds it into one statement. */
  takeSql(first: number, cost: number): { sql: string; params: unknown[] } {
    return {
      sql: `internal.take_exchange_request($${first}::bigint, $${first + 1}::numeric, $${first + 2}::timestamptz)`,
      params: [this.accountId, cost, this.now()],
    };
  }

  /** Takes `cost` tokens: 0 when taken, otherwise the milliseconds to wait (nothing was taken). */
  async take(cost = 1): Promise<number> {
    const { sql, params } = this.takeSql(1, cost);
    const rows = await this.db.query<{ wait_ms: number }>(`select ${sql} as wait_ms`, params);
    return Number(rows[0]!.wait_ms);
  }

  async configure(settings: RequestBudgetSettings): Promise<void> {
    await this.db.query('select internal.set_exchange_request_budget($1::bigint, $2::numeric, $3::numeric)', [
      this.accountId,
      settings.capacity,
      settings.refillPerSecond,
    ]);
  }

  private now(): Date | null {
    return this.clock ? new Date(this.clock()) : null;
  }
}
