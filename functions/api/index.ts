/**
 * api — the user REST API (shared/api). Every request runs as the calling user, under RLS;
 * only the credential writes of exchange accounts use the function's own database role.
 */
import { createApiApp } from '../../shared/api/app.ts';
import { loadApiConfig } from '../../shared/api/config.ts';
import { createTokenVerifier } from '../../shared/auth/jwt.ts';
import { connectPostgres } from '../../shared/db/postgres-client.ts';
import { ccxtCredentialVerifier } from '../../shared/exchange/credentials.ts';

// Throws at start-up (missing master key, database URL or JWT settings): the function refuses to serve.
const config = await loadApiConfig(Deno.env.toObject());
const app = createApiApp({
  db: connectPostgres(config.dbUrl, { max: 3, applicationName: 'tradeflow-api', prepare: config.dbPrepare }),
  keyring: config.keyring,
  verifyToken: createTokenVerifier(config.auth),
  credentials: ccxtCredentialVerifier(),
});

Deno.serve(app.fetch);
