import { afterAll, beforeAll, expect, it } from 'vitest';
import { decryptSecret } from '../../../shared/vault/index.ts';
import { createUser, describeOnEachBackend } from '../../support/databases.ts';
import { type ApiHarness, apiHarness, freshKeys, tokenFor } from './support.ts';

describeOnEachBackend('exchange accounts API', (database) => {
  let api: ApiHarness;
  let alice: string;
  let token: string;

  beforeAll(async () => {
    api = await apiHarness(database().db);
    alice = await createUser(database().db);
    token = await tokenFor(alice);
  });
  afterAll(() => api?.close());

  it('creates a paper account without keys, owned by the caller', async () => {
    const answer = await api.call('POST', '/exchange-accounts', {
      token,
      body: { mode: 'paper', label: 'Sandbox', max_order_notional: '250' },
    });
    expect(answer.status).toBe(201);
    expect(answer.body.account).toMatchObject({
      exchange: 'paper',
      mode: 'paper',
      label: 'Sandbox',
      key_suffix: null,
      permissions: [],
      status: 'active',
      max_order_notional: '250',
      deleted_at: null,
    });
    const [row] = await database().db.query<{ owner: string }>(
      'select owner from public.exchange_accounts where id = $1',
      [answer.body.account.id],
    );
    expect(row!.owner).toBe(alice);
  });

  it('creates a live account after the exchange accepted the keys, recording their permissions', async () => {
    const keys = freshKeys();
    await api.registerKeys(keys);
    const answer = await api.call('POST', '/exchange-accounts', {
      token,
      body: { mode: 'live', exchange: 'binance', label: 'Main', api_key: keys.apiKey, secret: keys.secret },
    });
    expect(answer.status).toBe(201);
    expect(answer.body.verification).toEqual({ permissions: ['read', 'trade'], can_withdraw: false });
    expect(answer.body.account).toMatchObject({
      exchange: 'binance',
      mode: 'live',
      label: 'Main',
      key_suffix: `••••••${keys.apiKey.slice(-4)}`,
      permissions: ['read', 'trade'],
      status: 'active',
    });
    expect(new Date(answer.body.account.last_verified_at).getTime()).toBeGreaterThan(0);
  });

  it('stores the keys only as vault ciphertext bound to the account and its owner', async () => {
    const keys = freshKeys();
    await api.registerKeys(keys);
    const created = await api.call('POST', '/exchange-accounts', {
      token,
      body: {
        mode: 'testnet',
        exchange: 'binance',
        api_key: keys.apiKey,
        secret: keys.secret,
        password: 'pass-phrase',
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.account.id as number;
    expect(created.body.account.label).toBe('Binance testnet');
    const [row] = await database().db.query<Record<string, string | number>>(
      `select api_key_ciphertext, api_secret_ciphertext, api_password_ciphertext, key_salt, key_version
         from public.exchange_accounts where id = $1`,
      [id],
    );
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(keys.apiKey);
    expect(stored).not.toContain(keys.secret);
    const context = { userId: alice, accountId: String(id) };
    expect(await decryptSecret(api.keyring, row!['api_key_ciphertext'] as string, context)).toBe(keys.apiKey);
    expect(await decryptSecret(api.keyring, row!['api_secret_ciphertext'] as string, context)).toBe(
      keys.secret,
    );
    expect(await decryptSecret(api.keyring, row!['api_password_ciphertext'] as string, context)).toBe(
      'pass-phrase',
    );
    expect(row!['key_version']).toBe(api.keyring.currentVersion);
    // Moved to another account id, the same ciphertext does not decrypt.
    await expect(
      decryptSecret(api.keyring, row!['api_key_ciphertext'] as string, {
        userId: alice,
        accountId: String(id + 1),
      }),
    ).rejects.toThrow(/could not be decrypted/);
  });

  it('uses one salt (one derived key) for all of a user’s accounts', async () => {
    const salts = await database().db.query<{ key_salt: string }>(
      'select distinct key_salt from public.exchange_accounts where owner = $1 and key_salt is not null',
      [alice],
    );
    expect(salts).toHaveLength(1);
  });

  it('lists and gets the caller’s accounts without any secret', async () => {
    const list = await api.call('GET', '/exchange-accounts', { token });
    expect(list.status).toBe(200);
    expect(list.body.accounts.map((a: { mode: string }) => a.mode)).toEqual(['paper', 'live', 'testnet']);
    for (const account of list.body.accounts) {
      expect(Object.keys(account).sort()).toEqual(
        [
          'created_at',
          'deleted_at',
          'exchange',
          'id',
          'key_suffix',
          'label',
          'last_verified_at',
          'max_order_notional',
          'mode',
          'permissions',
          'status',
          'updated_at',
        ].sort(),
      );
    }
    const one = await api.call('GET', `/exchange-accounts/${list.body.accounts[1].id}`, { token });
    expect(one.status).toBe(200);
    expect(one.body.account).toEqual(list.body.accounts[1]);
  });

  it('updates the label and the order limit, and removes the limit with null', async () => {
    const [paper] = (await api.call('GET', '/exchange-accounts', { token })).body.accounts;
    const renamed = await api.call('PATCH', `/exchange-accounts/${paper.id}`, {
      token,
      body: { label: '  Renamed  ', max_order_notional: 99.5 },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.account).toMatchObject({ label: 'Renamed', max_order_notional: '99.5' });
    const cleared = await api.call('PATCH', `/exchange-accounts/${paper.id}`, {
      token,
      body: { max_order_notional: null },
    });
    expect(cleared.body.account).toMatchObject({ label: 'Renamed', max_order_notional: null });
  });

  it('rotates the keys of a live account after checking the new ones', async () => {
    const oldKeys = freshKeys();
    await api.registerKeys(oldKeys);
    const created = await api.call('POST', '/exchange-accounts', {
      token,
      body: { mode: 'live', exchange: 'binance', api_key: oldKeys.apiKey, secret: oldKeys.secret },
    });
    const id = created.body.account.id as number;
    const newKeys = freshKeys();
    await api.registerKeys(newKeys, { enableSpotAndMarginTrading: false });
    const rotated = await api.call('POST', `/exchange-accounts/${id}/rotate-keys`, {
      token,
      body: { api_key: newKeys.apiKey, secret: newKeys.secret },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.account).toMatchObject({
      id,
      key_suffix: `••••••${newKeys.apiKey.slice(-4)}`,
      permissions: ['read'],
    });
    expect(rotated.body.verification).toEqual({ permissions: ['read'], can_withdraw: false });
    const [row] = await database().db.query<{ api_key_ciphertext: string }>(
      'select api_key_ciphertext from public.exchange_accounts where id = $1',
      [id],
    );
    expect(
      await decryptSecret(api.keyring, row!.api_key_ciphertext, { userId: alice, accountId: String(id) }),
    ).toBe(newKeys.apiKey);
  });

  it('verifies stored keys again with the exchange and records what they may do now', async () => {
    const keys = freshKeys();
    await api.registerKeys(keys);
    const created = await api.call('POST', '/exchange-accounts', {
      token,
      body: { mode: 'live', exchange: 'binance', api_key: keys.apiKey, secret: keys.secret },
    });
    const id = created.body.account.id as number;
    await api.registerKeys(keys, { enableSpotAndMarginTrading: false });
    const verified = await api.call('POST', `/exchange-accounts/${id}/verify`, { token });
    expect(verified.status).toBe(200);
    expect(verified.body.account.permissions).toEqual(['read']);
    expect(new Date(verified.body.account.last_verified_at).getTime()).toBeGreaterThanOrEqual(
      new Date(created.body.account.last_verified_at).getTime(),
    );

    await api.revokeKeys(keys.apiKey);
    const refused = await api.call('POST', `/exchange-accounts/${id}/verify`, { token });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('credentials_rejected');
  });

  it('disables an account whose stored keys have gained withdrawal rights, until keys are rotated', async () => {
    const keys = freshKeys();
    await api.registerKeys(keys);
    const created = await api.call('POST', '/exchange-accounts', {
      token,
      body: { mode: 'live', exchange: 'binance', api_key: keys.apiKey, secret: keys.secret },
    });
    const id = created.body.account.id as number;
    await api.registerKeys(keys, { enableWithdrawals: true });
    const verified = await api.call('POST', `/exchange-accounts/${id}/verify`, { token });
    expect(verified.status).toBe(422);
    expect(verified.body.error.code).toBe('withdrawal_permission');
    const after = await api.call('GET', `/exchange-accounts/${id}`, { token });
    expect(after.body.account).toMatchObject({
      status: 'disabled',
      permissions: ['read', 'trade', 'withdraw'],
    });

    const safeKeys = freshKeys();
    await api.registerKeys(safeKeys);
    const rotated = await api.call('POST', `/exchange-accounts/${id}/rotate-keys`, {
      token,
      body: { api_key: safeKeys.apiKey, secret: safeKeys.secret },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.account).toMatchObject({ status: 'active', permissions: ['read', 'trade'] });
  });

  it('refuses to verify or rotate keys of a paper account', async () => {
    const [paper] = (await api.call('GET', '/exchange-accounts', { token })).body.accounts;
    const verified = await api.call('POST', `/exchange-accounts/${paper.id}/verify`, { token });
    expect(verified.status).toBe(409);
    expect(verified.body.error.code).toBe('paper_account');
  });

  it('soft-deletes an account, keeps the row and its orders, and answers a repeated delete the same', async () => {
    const keys = freshKeys();
    await api.registerKeys(keys);
    const created = await api.call('POST', '/exchange-accounts', {
      token,
      body: { mode: 'live', exchange: 'binance', api_key: keys.apiKey, secret: keys.secret },
    });
    const id = created.body.account.id as number;
    await database().db.query(
      `insert into public.orders (owner, account_id, client_order_id, symbol, side, type, amount)
       values ($1, $2, 'tf-delete-test', 'BTC/USDT', 'buy', 'market', '0.1')`,
      [alice, id],
    );

    const deleted = await api.call('DELETE', `/exchange-accounts/${id}`, { token });
    expect(deleted.status).toBe(200);
    expect(deleted.body.account.status).toBe('deleted');
    expect(deleted.body.account.deleted_at).not.toBeNull();
    const again = await api.call('DELETE', `/exchange-accounts/${id}`, { token });
    expect(again.status).toBe(200);
    expect(again.body.account).toEqual(deleted.body.account);

    const listed = await api.call('GET', '/exchange-accounts', { token });
    expect(listed.body.accounts.map((a: { id: number }) => a.id)).not.toContain(id);
    const withDeleted = await api.call('GET', '/exchange-accounts?include_deleted=true', { token });
    expect(withDeleted.body.accounts.map((a: { id: number }) => a.id)).toContain(id);
    const orders = await database().db.query('select id from public.orders where account_id = $1', [id]);
    expect(orders).toHaveLength(1);

    const renamed = await api.call('PATCH', `/exchange-accounts/${id}`, { token, body: { label: 'back' } });
    expect(renamed.status).toBe(409);
    expect(renamed.body.error.code).toBe('account_deleted');
    const rotated = await api.call('POST', `/exchange-accounts/${id}/rotate-keys`, {
      token,
      body: { api_key: keys.apiKey, secret: keys.secret },
    });
    expect(rotated.status).toBe(409);
  });

  it('answers 404 for an account id that does not exist', async () => {
    const answer = await api.call('GET', '/exchange-accounts/999999', { token });
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({
      error: { code: 'not_found', message: 'exchange account 999999 not found' },
    });
  });
});
