import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser, describeOnEachBackend } from '../../support/databases.ts';
import { type ApiHarness, accountTable, apiHarness, freshKeys, tokenFor } from './support.ts';

describeOnEachBackend('exchange accounts API between two users', (database) => {
  let api: ApiHarness;
  let aliceToken: string;
  let bobToken: string;
  let aliceAccount: number;

  beforeAll(async () => {
    api = await apiHarness(database().db);
    aliceToken = await tokenFor(await createUser(database().db));
    bobToken = await tokenFor(await createUser(database().db));
    const keys = freshKeys();
    await api.registerKeys(keys);
    const created = await api.call('POST', '/exchange-accounts', {
      token: aliceToken,
      body: {
        mode: 'live',
        exchange: 'binance',
        label: 'Alice main',
        api_key: keys.apiKey,
        secret: keys.secret,
      },
    });
    aliceAccount = created.body.account.id;
  });
  afterAll(() => api?.close());

  it('does not show Alice’s accounts in Bob’s list', async () => {
    const answer = await api.call('GET', '/exchange-accounts?include_deleted=true', { token: bobToken });
    expect(answer.status).toBe(200);
    expect(answer.body.accounts).toEqual([]);
  });

  it('answers Bob 404 for every request on Alice’s account, and nothing changes', async () => {
    const before = await accountTable(database().db);
    const keys = freshKeys();
    await api.registerKeys(keys);
    const attempts: [string, string, unknown][] = [
      ['GET', `/exchange-accounts/${aliceAccount}`, undefined],
      ['PATCH', `/exchange-accounts/${aliceAccount}`, { label: 'mine now', max_order_notional: '1' }],
      [
        'POST',
        `/exchange-accounts/${aliceAccount}/rotate-keys`,
        { api_key: keys.apiKey, secret: keys.secret },
      ],
      ['POST', `/exchange-accounts/${aliceAccount}/verify`, undefined],
      ['DELETE', `/exchange-accounts/${aliceAccount}`, undefined],
    ];
    for (const [method, path, body] of attempts) {
      const answer = await api.call(method, path, { token: bobToken, body });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body).toEqual({
        error: { code: 'not_found', message: `exchange account ${aliceAccount} not found` },
      });
    }
    expect(await accountTable(database().db)).toEqual(before);
  });

  it('answers Bob exactly as for an account that does not exist', async () => {
    const missing = await api.call('GET', '/exchange-accounts/987654', { token: bobToken });
    const foreign = await api.call('GET', `/exchange-accounts/${aliceAccount}`, { token: bobToken });
    expect(foreign.status).toBe(missing.status);
    expect(foreign.body.error.code).toBe(missing.body.error.code);
  });

  it('still lets Alice use her account afterwards', async () => {
    const answer = await api.call('GET', `/exchange-accounts/${aliceAccount}`, { token: aliceToken });
    expect(answer.status).toBe(200);
    expect(answer.body.account).toMatchObject({ label: 'Alice main', status: 'active' });
  });
});
