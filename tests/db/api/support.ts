/**
 * Builders for API tests: the real app (`createApiApp`) over a test database, the real ccxt
 * binance client against a local exchange server as the key verifier, real HS256 user tokens
 * signed with jose, and a recorder of every response body so tests can assert that no secret
 * ever left the API.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { binanceAgainst } from '../../../platform/exchange-server/ccxt-client.ts';
import { type ExchangeServer, startExchangeServer } from '../../../platform/exchange-server/server.ts';
import { createApiApp } from '../../../shared/api/app.ts';
import { createTokenVerifier } from '../../../shared/auth/jwt.ts';
import type { SqlClient } from '../../../shared/db/sql.ts';
import { ccxtCredentialVerifier } from '../../../shared/exchange/credentials.ts';
import { loadMasterKeys, type MasterKeyring } from '../../../shared/vault/index.ts';

export const JWT_SECRET = 'test-jwt-secret-with-at-least-thirty-two-characters';

export function randomMasterKey(): string {
  return randomBytes(32).toString('base64');
}

export async function keyringOf(env: Record<string, string>): Promise<MasterKeyring> {
  return loadMasterKeys(env);
}

/** A Supabase-shaped access token for `userId`. */
export async function tokenFor(
  userId: string,
  options: { expiresIn?: string | number; role?: string; secret?: string } = {},
): Promise<string> {
  return new SignJWT({ role: options.role ?? 'authenticated', aud: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

/** A fresh exchange key pair, long enough that its masked form shows the last four characters. */
export function freshKeys(): { apiKey: string; secret: string } {
  return { apiKey: `k${randomBytes(20).toString('hex')}`, secret: `s${randomBytes(32).toString('hex')}` };
}

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on the JSON shape themselves
  body: any;
  text: string;
}

export interface ApiHarness {
  exchange: ExchangeServer;
  keyring: MasterKeyring;
  /** Every response body the API produced, for the no-secret assertions. */
  responses: string[];
  /** Every line the API logged. */
  logLines: string[];
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; raw?: string },
  ): Promise<Answer>;
  /** Registers keys on the exchange, so their signatures are checked; `restrictions` as Binance reports them. */
  registerKeys(
    keys: { apiKey: string; secret: string },
    restrictions?: Record<string, boolean>,
  ): Promise<void>;
  revokeKeys(apiKey: string): Promise<void>;
  rebuild(keyring: MasterKeyring): void;
  close(): Promise<void>;
}

export async function apiHarness(db: SqlClient, keyring?: MasterKeyring): Promise<ApiHarness> {
  const exchange = await startExchangeServer();
  const responses: string[] = [];
  const logLines: string[] = [];
  const build = (ring: MasterKeyring) =>
    createApiApp({
      db,
      keyring: ring,
      verifyToken: createTokenVerifier({ jwtSecret: JWT_SECRET }),
      credentials: ccxtCredentialVerifier((_exchange, _mode, credentials) =>
        binanceAgainst(exchange.url, credentials, { enableRateLimit: false, timeout: 5_000 }),
      ),
      log: (line) => logLines.push(line),
    });
  const harness: ApiHarness = {
    exchange,
    keyring: keyring ?? (await loadMasterKeys({ TRADEFLOW_MASTER_KEY: randomMasterKey() })),
    responses,
    logLines,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = {};
      if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
      let body: string | undefined = options.raw;
      if (options.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(options.body);
      }
      const response = await app.request(`/api${path}`, { method, headers, body });
      const text = await response.text();
      responses.push(text);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, body: json, text };
    },
    async registerKeys(keys, restrictions) {
      await control(exchange, { apiKey: keys.apiKey, secret: keys.secret, restrictions });
    },
    async revokeKeys(apiKey) {
      await control(exchange, { apiKey, revoked: true });
    },
    rebuild(ring) {
      harness.keyring = ring;
      app = build(ring);
    },
    close: () => exchange.close(),
  };
  let app = build(harness.keyring);
  return harness;
}

async function control(exchange: ExchangeServer, body: unknown): Promise<void> {
  const response = await fetch(`${exchange.url}/__control/accounts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`control API refused: ${await response.text()}`);
}

export async function accountCount(db: SqlClient): Promise<number> {
  const rows = await db.query<{ n: number }>('select count(*)::int as n from public.exchange_accounts');
  return rows[0]!.n;
}

/** Every column of every account row, to compare before and after a refused request. */
export async function accountTable(db: SqlClient): Promise<unknown[]> {
  return db.query('select * from public.exchange_accounts order by id');
}
