/**
 * The user REST API as a Hono app, independent of the runtime that serves it: the `api` Edge
 * Function serves it with `Deno.serve`, tests call `app.request(…)` in-process.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { TokenVerifier } from '../auth/jwt.ts';
import type { SqlClient } from '../db/sql.ts';
import { CCXT_EXCHANGE_IDS, type CredentialVerifier } from '../exchange/credentials.ts';
import { MasterKeyring } from '../vault/index.ts';
import { type ApiLog, errorResponder, notFound } from './errors.ts';
import { exchangeAccountRoutes } from './exchange-accounts/routes.ts';
import { requireUser, type UserVariables } from './require-user.ts';
import { tradingRoutes } from './trading/routes.ts';

export interface ApiDeps {
  db: SqlClient;
  /** The vault's master keys (`loadMasterKeys`): the API encrypts keys on create and rotate. */
  keyring: MasterKeyring;
  verifyToken: TokenVerifier;
  credentials: CredentialVerifier;
  /** Exchange ids accepted for testnet/live accounts (default: every exchange ccxt supports). */
  exchangeIds?: readonly string[];
  /** Where unexpected errors are reported (default console.error). Lines never carry secrets. */
  log?: ApiLog;
}

// Far above any real request (an RSA secret is a few KB) and far below what could hurt.
const MAX_BODY_BYTES = 64 * 1024;

export function createApiApp(deps: ApiDeps) {
  if (!(deps.keyring instanceof MasterKeyring)) {
    throw new Error('api: the credential vault has no master keys (loadMasterKeys); refusing to start');
  }
  const log = deps.log ?? ((message: string) => console.error(message));
  const app = new Hono<{ Variables: UserVariables }>().basePath('/api');
  app.onError(errorResponder(log));
  app.notFound(notFound);
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        c.json(
          {
            error: {
              code: 'payload_too_large',
              message: `request bodies are limited to ${MAX_BODY_BYTES} bytes`,
            },
          },
          413,
        ),
    }),
  );

  app.get('/health', (c) => c.json({ ok: true }));

  // `/exchange-accounts/*` also matches `/exchange-accounts` itself.
  app.use('/exchange-accounts/*', requireUser(deps.verifyToken));
  app.route(
    '/exchange-accounts',
    exchangeAccountRoutes(
      { db: deps.db, keyring: deps.keyring, credentials: deps.credentials, log },
      deps.exchangeIds ?? CCXT_EXCHANGE_IDS,
    ),
  );
  for (const [prefix, routes] of tradingRoutes({ db: deps.db })) {
    app.use(`${prefix}/*`, requireUser(deps.verifyToken));
    app.route(prefix, routes);
  }
  return app;
}
