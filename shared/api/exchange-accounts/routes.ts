/**
 * `/api/exchange-accounts`: HTTP in, one operation, JSON out.
 *
 *   GET    /                     ?include_deleted=true      → 200 { accounts: Account[] }
 *   POST   /                     paper | testnet/live body  → 201 { account, verification? }
 *   GET    /:id                                             → 200 { account }
 *   PATCH  /:id                  { label?, max_order_notional? } → 200 { account }
 *   POST   /:id/rotate-keys      { api_key, secret, password? }  → 200 { account, verification }
 *   POST   /:id/verify                                      → 200 { account, verification }
 *   DELETE /:id                                             → 200 { account } (soft, idempotent)
 */
import { Hono } from 'hono';
import type { UserVariables } from '../require-user.ts';
import { parseWith, readJsonBody } from '../validation.ts';
import {
  type AccountDeps,
  createKeyedAccount,
  createPaperAccount,
  deleteAccount,
  getAccount,
  listAccounts,
  rotateKeys,
  updateAccount,
  verifyAccount,
} from './operations.ts';
import type { AccountRow } from './repository.ts';
import {
  accountIdParams,
  createAccountBody,
  listQuery,
  rotateKeysBody,
  updateAccountBody,
} from './schemas.ts';

/** The JSON form of an account: every field named, so a column added later is not shown by accident. */
export function accountJson(row: AccountRow) {
  return {
    id: row.id,
    exchange: row.exchange,
    mode: row.mode,
    label: row.label,
    key_suffix: row.key_suffix,
    permissions: row.permissions,
    status: row.status,
    max_order_notional: row.max_order_notional,
    last_verified_at: row.last_verified_at,
    deleted_at: row.deleted_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function exchangeAccountRoutes(deps: AccountDeps, exchangeIds: readonly string[]) {
  const createBody = createAccountBody(exchangeIds);
  const app = new Hono<{ Variables: UserVariables }>();
  const idOf = (params: Record<string, string>) => parseWith(accountIdParams, params, 'path').id;

  app.get('/', async (c) => {
    const query = parseWith(listQuery, c.req.query(), 'query');
    const accounts = await listAccounts(deps, c.get('user').userId, query.include_deleted);
    return c.json({ accounts: accounts.map(accountJson) });
  });

  app.post('/', async (c) => {
    const body = await readJsonBody(c, createBody);
    const userId = c.get('user').userId;
    if (body.mode === 'paper') {
      return c.json({ account: accountJson(await createPaperAccount(deps, userId, body)) }, 201);
    }
    const { account, verification } = await createKeyedAccount(deps, userId, body);
    return c.json({ account: accountJson(account), verification }, 201);
  });

  app.get('/:id', async (c) => {
    const account = await getAccount(deps, c.get('user').userId, idOf(c.req.param()));
    return c.json({ account: accountJson(account) });
  });

  app.patch('/:id', async (c) => {
    const id = idOf(c.req.param());
    const body = await readJsonBody(c, updateAccountBody);
    return c.json({ account: accountJson(await updateAccount(deps, c.get('user').userId, id, body)) });
  });

  app.post('/:id/rotate-keys', async (c) => {
    const id = idOf(c.req.param());
    const body = await readJsonBody(c, rotateKeysBody);
    const { account, verification } = await rotateKeys(deps, c.get('user').userId, id, body);
    return c.json({ account: accountJson(account), verification });
  });

  app.post('/:id/verify', async (c) => {
    const { account, verification } = await verifyAccount(deps, c.get('user').userId, idOf(c.req.param()));
    return c.json({ account: accountJson(account), verification });
  });

  app.delete('/:id', async (c) => {
    const account = await deleteAccount(deps, c.get('user').userId, idOf(c.req.param()));
    return c.json({ account: accountJson(account) });
  });

  return app;
}
