import { describe, expect, it } from 'vitest';
import { createApiApp } from '../../../shared/api/app.ts';
import { loadApiConfig } from '../../../shared/api/config.ts';
import { createTokenVerifier } from '../../../shared/auth/jwt.ts';
import type { SqlClient } from '../../../shared/db/sql.ts';
import { ccxtCredentialVerifier } from '../../../shared/exchange/credentials.ts';
import type { MasterKeyring } from '../../../shared/vault/index.ts';
import { JWT_SECRET, randomMasterKey } from './support.ts';

const env = {
  SUPABASE_DB_URL: 'postgres://localhost/tradeflow',
  SUPABASE_JWT_SECRET: JWT_SECRET,
};

describe('api start-up', () => {
  it('refuses to start without a master key, with the vault’s message', async () => {
    await expect(loadApiConfig(env)).rejects.toThrow(
      /^TRADEFLOW_MASTER_KEY is not set: the credential vault needs a random master key of at least 32 bytes/,
    );
  });

  it('refuses to start with a master key that is too short', async () => {
    await expect(loadApiConfig({ ...env, TRADEFLOW_MASTER_KEY: 'c2hvcnQ=' })).rejects.toThrow(/too short/);
  });

  it('refuses to start without a way to verify user tokens, or without a database', async () => {
    const key = randomMasterKey();
    await expect(
      loadApiConfig({ TRADEFLOW_MASTER_KEY: key, SUPABASE_DB_URL: env.SUPABASE_DB_URL }),
    ).rejects.toThrow(/SUPABASE_JWT_SECRET or SUPABASE_URL/);
    await expect(
      loadApiConfig({ TRADEFLOW_MASTER_KEY: key, SUPABASE_JWT_SECRET: JWT_SECRET }),
    ).rejects.toThrow(/SUPABASE_DB_URL is not set/);
  });

  it('starts with a master key and a JWT secret or project URL', async () => {
    const config = await loadApiConfig({ ...env, TRADEFLOW_MASTER_KEY: randomMasterKey() });
    expect(config.keyring.currentVersion).toBe(1);
    expect(config.auth).toEqual({ jwtSecret: JWT_SECRET, supabaseUrl: undefined });
  });

  it('refuses to build the app without a keyring', () => {
    expect(() =>
      createApiApp({
        db: {} as SqlClient,
        keyring: undefined as unknown as MasterKeyring,
        verifyToken: createTokenVerifier({ jwtSecret: JWT_SECRET }),
        credentials: ccxtCredentialVerifier(),
      }),
    ).toThrow(/no master keys/);
  });

  it('answers health checks without a token, and unknown routes with a JSON 404', async () => {
    const config = await loadApiConfig({ ...env, TRADEFLOW_MASTER_KEY: randomMasterKey() });
    const app = createApiApp({
      db: {} as SqlClient,
      keyring: config.keyring,
      verifyToken: createTokenVerifier(config.auth),
      credentials: ccxtCredentialVerifier(),
    });
    expect(await (await app.request('/api/health')).json()).toEqual({ ok: true });
    const missing = await app.request('/api/nothing-here');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'not_found', message: 'no route for GET /api/nothing-here' },
    });
  });
});
