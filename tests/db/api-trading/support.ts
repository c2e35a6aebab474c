/**
 * Builders for the trading API tests: the real app (`createApiApp`) over a test database,
 * real HS256 user tokens (tokens and secret shared with tests/db/api), and small helpers that
 * act as the system (the database owner) where the worker would.
 */
import { createApiApp } from '../../../shared/api/app.ts';
import { createTokenVerifier } from '../../../shared/auth/jwt.ts';
import type { SqlClient } from '../../../shared/db/sql.ts';
import { ccxtCredentialVerifier } from '../../../shared/exchange/credentials.ts';
import { loadMasterKeys } from '../../../shared/vault/index.ts';
import { paperAccount } from '../../support/builders.ts';
import { createUser } from '../../support/databases.ts';
import { JWT_SECRET, randomMasterKey, tokenFor } from '../api/support.ts';

export { tokenFor };

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on the JSON shape themselves
  body: any;
}

export type Call = (
  method: string,
  path: string,
  options?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
) => Promise<Answer>;

export interface TradingApi {
  call: Call;
  /** What the API logged: only unexpected failures are logged, so tests expect none. */
  logLines: string[];
}

export async function tradingApi(db: SqlClient): Promise<TradingApi> {
  const logLines: string[] = [];
  const app = createApiApp({
    db,
    keyring: await loadMasterKeys({ TRADEFLOW_MASTER_KEY: randomMasterKey() }),
    verifyToken: createTokenVerifier({ jwtSecret: JWT_SECRET }),
    // No test here adds keyed accounts, so the exchange is never asked.
    credentials: ccxtCredentialVerifier(),
    log: (line) => logLines.push(line),
  });
  const call: Call = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await app.request(`/api${path}`, { method, headers, body });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, body: json };
  };
  return { call, logLines };
}

export interface Trader {
  userId: string;
  token: string;
  accountId: number;
}

/** A signed-in user with a paper account. */
export async function signedInUser(db: SqlClient): Promise<Trader> {
  const userId = await createUser(db);
  return { userId, token: await tokenFor(userId), accountId: await paperAccount(db, userId) };
}

/** Moves a signal along the lifecycle as the worker would (the owner role, actor worker:test). */
export async function advanceAsSystem(db: SqlClient, signalId: number, ...statuses: string[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`select set_config('tradeflow.actor', 'worker:test', true)`);
    for (const status of statuses) {
      await tx.query('update public.signals set status = $2 where id = $1', [signalId, status]);
    }
  });
}

export async function jobs(
  db: SqlClient,
  kind: string,
): Promise<{ id: number; payload: unknown; dedupe_key: string }[]> {
  return db.query('select id, payload, dedupe_key from queue.jobs where kind = $1 order by id', [kind]);
}

/** What the worker does when it finishes a job: the row goes away. */
export async function finishJobs(db: SqlClient, kind: string): Promise<void> {
  await db.query('delete from queue.jobs where kind = $1', [kind]);
}

/** Row counts of every table the trading API writes, to compare before and after a refusal. */
export async function tradingRowCounts(db: SqlClient): Promise<Record<string, number>> {
  const tables = [
    'signals',
    'signal_events',
    'traders',
    'trading_config',
    'risk_parameters',
    'kill_switches',
    'alerts',
  ];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const rows = await db.query<{ n: number }>(`select count(*)::int as n from public.${table}`);
    counts[table] = rows[0]!.n;
  }
  const queued = await db.query<{ n: number }>('select count(*)::int as n from queue.jobs');
  counts['queue.jobs'] = queued[0]!.n;
  return counts;
}
