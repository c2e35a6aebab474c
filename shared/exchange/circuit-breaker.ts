/**
 * The circuit breaker of one exchange account, kept in Postgres
 * (internal.exchange_circuit_breakers, migration 20261121002000) so every worker invocation
 * sees the same state: after `failureThreshold` consecutive venue failures the circuit opens
 * and requests are refused without being sent; after `coolDownMs` one caller probes; the
 * probe's success closes the circuit, its failure re-opens it.
 *
 * Only venue failures count (errors.ts `isVenueFailure`): a rejection or "no such order" is
 * an answer from a venue that works.
 */
import type { SqlQueryable } from '../db/sql.ts';

export type CircuitPermit = 'allow' | 'allow_after_failures' | 'probe' | 'refuse';
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerSettings {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold: number;
  /** How long an open circuit refuses before one probe is let through (default 30 s). */
  coolDownMs: number;
  /** A probe that has not reported after this long is replaced by a new one (default 30 s). */
  probeTimeoutMs: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerSettings = {
  failureThreshold: 5,
  coolDownMs: 30_000,
  probeTimeoutMs: 30_000,
};

/** Milliseconds since the epoch; absent → the database clock decides. */
export type Clock = () => number;

export class CircuitBreaker {
  readonly settings: CircuitBreakerSettings;

  constructor(
    private readonly db: SqlQueryable,
    readonly accountId: number,
    settings: Partial<CircuitBreakerSettings> = {},
    private readonly clock?: Clock,
  ) {
    this.settings = { ...DEFAULT_CIRCUIT_BREAKER, ...settings };
  }

  /** SQL (and its parameters from `$first`) asking for a permit; the request guard folds it into one statement. */
  permitSql(first: number): { sql: string; params: unknown[] } {
    return {
      sql: `internal.exchange_circuit_permit($${first}::bigint, $${first + 1}::timestamptz,
              $${first + 2}::double precision * interval '1 millisecond',
              $${first + 3}::double precision * interval '1 millisecond')`,
      params: [this.accountId, this.now(), this.settings.coolDownMs, this.settings.probeTimeoutMs],
    };
  }

  async permit(): Promise<CircuitPermit> {
    const { sql, params } = this.permitSql(1);
    const rows = await this.db.query<{ permit: CircuitPermit }>(`select ${sql} as permit`, params);
    return rows[0]!.permit;
  }

  async recordSuccess(): Promise<CircuitState> {
    return this.record(true, null);
  }

  async recordFailure(reason: string): Promise<CircuitState> {
    return this.record(false, reason);
  }

  async state(): Promise<{ state: CircuitState; consecutiveFailures: number }> {
    const rows = await this.db.query<{ state: CircuitState; consecutive_failures: number }>(
      `select state, consecutive_failures from internal.exchange_circuit_breakers where account_id = $1`,
      [this.accountId],
    );
    const row = rows[0];
    return row
      ? { state: row.state, consecutiveFailures: row.consecutive_failures }
      : { state: 'closed', consecutiveFailures: 0 };
  }

  private async record(succeeded: boolean, reason: string | null): Promise<CircuitState> {
    const rows = await this.db.query<{ state: CircuitState }>(
      'select internal.record_exchange_request($1::bigint, $2, $3::timestamptz, $4::integer, $5) as state',
      [this.accountId, succeeded, this.now(), this.settings.failureThreshold, reason],
    );
    return rows[0]!.state;
  }

  private now(): Date | null {
    return this.clock ? new Date(this.clock()) : null;
  }
}
