import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser, describeOnEachBackend } from '../../support/databases.ts';
import {
  type ApiHarness,
  accountCount,
  accountTable,
  apiHarness,
  freshKeys,
  JWT_SECRET,
  tokenFor,
} from './support.ts';

describeOnEachBackend('exchange accounts API refusals', (database) => {
  let api: ApiHarness;
  let user: string;
  let token: string;
  let paperId: number;

  beforeAll(async () => {
    api = await apiHarness(database().db);
    user = await createUser(database().db);
    token = await tokenFor(user);
    paperId = (await api.call('POST', '/exchange-accounts', { token, body: { mode: 'paper' } })).body.account
      .id;
  });
  afterAll(() => api?.close());

  async function expectNothingStored(request: () => Promise<void>): Promise<void> {
    const before = await accountTable(database().db);
    const count = await accountCount(database().db);
    await request();
    expect(await accountCount(database().db)).toBe(count);
    expect(await accountTable(database().db)).toEqual(before);
  }

  it('answers bad create bodies with 400 and field-level errors, storing nothing', async () => {
    const cases: [unknown, string][] = [
      [{}, 'mode'],
      [{ mode: 'margin' }, 'mode'],
      [{ mode: 'paper', label: '' }, 'label'],
      [{ mode: 'paper', label: 'x'.repeat(101) }, 'label'],
      [{ mode: 'paper', max_order_notional: '-5' }, 'max_order_notional'],
      [{ mode: 'paper', max_order_notional: '0' }, 'max_order_notional'],
      [{ mode: 'paper', max_order_notional: 'lots' }, 'max_order_notional'],
      [{ mode: 'paper', api_key: 'AKIA0000000000000000' }, 'api_key'],
      [{ mode: 'live', exchange: 'binance', secret: 's' }, 'api_key'],
      [{ mode: 'live', exchange: 'binance', api_key: 'k' }, 'secret'],
      [{ mode: 'live', exchange: 'notanexchange', api_key: 'k', secret: 's' }, 'exchange'],
      [{ mode: 'live', exchange: 'BINANCE', api_key: 'k', secret: 's' }, 'exchange'],
      [{ mode: 'live', api_key: 'k', secret: 's' }, 'exchange'],
      [{ mode: 'testnet', exchange: 'binance', api_key: 42, secret: 's' }, 'api_key'],
    ];
    for (const [body, field] of cases) {
      await expectNothingStored(async () => {
        const answer = await api.call('POST', '/exchange-accounts', { token, body });
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.error.code).toBe('invalid_request');
        expect(Object.keys(answer.body.error.details.fieldErrors), JSON.stringify(body)).toContain(field);
      });
    }
  });

  it('answers a body that is not JSON, or none at all, with 400', async () => {
    await expectNothingStored(async () => {
      for (const raw of ['{"mode":', 'mode=paper', '', '[]', 'null']) {
        const answer = await api.call('POST', '/exchange-accounts', { token, raw });
        expect(answer.status, raw).toBe(400);
        expect(answer.body.error.code).toBe('invalid_request');
      }
    });
  });

  it('answers an oversized body with 413 before reading it', async () => {
    await expectNothingStored(async () => {
      const answer = await api.call('POST', '/exchange-accounts', {
        token,
        body: { mode: 'paper', label: 'x'.repeat(100 * 1024) },
      });
      expect(answer.status).toBe(413);
      expect(answer.body.error.code).toBe('payload_too_large');
    });
  });

  it('answers bad updates, ids and queries with 400 and changes nothing', async () => {
    await expectNothingStored(async () => {
      const empty = await api.call('PATCH', `/exchange-accounts/${paperId}`, { token, body: {} });
      expect(empty.status).toBe(400);
      expect(empty.body.error.details.formErrors).toEqual([
        'give label or max_order_notional (null removes the limit)',
      ]);
      const mixed = await api.call('PATCH', `/exchange-accounts/${paperId}`, {
        token,
        body: { label: 'fine', status: 'active' },
      });
      expect(mixed.status).toBe(400);
      expect(mixed.body.error.details.fieldErrors).toEqual({ status: ['is not a field of this request'] });
      const badLimit = await api.call('PATCH', `/exchange-accounts/${paperId}`, {
        token,
        body: { max_order_notional: true },
      });
      expect(badLimit.status).toBe(400);
      expect(Object.keys(badLimit.body.error.details.fieldErrors)).toEqual(['max_order_notional']);
      for (const id of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
        const answer = await api.call('GET', `/exchange-accounts/${id}`, { token });
        expect(answer.status, id).toBe(400);
        expect(Object.keys(answer.body.error.details.fieldErrors)).toEqual(['id']);
      }
      const query = await api.call('GET', '/exchange-accounts?include_deleted=yes', { token });
      expect(query.status).toBe(400);
      expect(Object.keys(query.body.error.details.fieldErrors)).toEqual(['include_deleted']);
    });
  });

  it('refuses keys the exchange does not accept with 422, storing nothing', async () => {
    const keys = freshKeys();
    await api.registerKeys(keys);
    await expectNothingStored(async () => {
      const wrongSecret = await api.call('POST', '/exchange-accounts', {
        token,
        body: { mode: 'live', exchange: 'binance', api_key: keys.apiKey, secret: `${keys.secret}x` },
      });
      expect(wrongSecret.status).toBe(422);
      expect(wrongSecret.body.error.code).toBe('credentials_rejected');
      expect(wrongSecret.body.error.message).toMatch(/binance refused these API keys/);
    });
    await api.revokeKeys(keys.apiKey);
    await expectNothingStored(async () => {
      const revoked = await api.call('POST', '/exchange-accounts', {
        token,
        body: { mode: 'live', exchange: 'binance', api_key: keys.apiKey, secret: keys.secret },
      });
      expect(revoked.status).toBe(422);
      expect(revoked.body.error.code).toBe('credentials_rejected');
    });
  });

  it('refuses keys with withdrawal rights with 422 and a clear message, storing nothing', async () => {
    const keys = freshKeys();
    await api.registerKeys(keys, { enableWithdrawals: true });
    await expectNothingStored(async () => {
      const answer = await api.call('POST', '/exchange-accounts', {
        token,
        body: { mode: 'live', exchange: 'binance', api_key: keys.apiKey, secret: keys.secret },
      });
      expect(answer.status).toBe(422);
      expect(answer.body.error).toEqual({
        code: 'withdrawal_permission',
        message:
          'these API keys can withdraw funds; create keys with reading and trading only (tradeflow never withdraws)',
      });
    });
  });

  it('refuses new keys with withdrawal rights on rotation and keeps the old ones', async () => {
    const keys = freshKeys();
    await api.registerKeys(keys);
    const created = await api.call('POST', '/exchange-accounts', {
      token,
      body: { mode: 'live', exchange: 'binance', api_key: keys.apiKey, secret: keys.secret },
    });
    const withdrawing = freshKeys();
    await api.registerKeys(withdrawing, { enableWithdrawals: true });
    await expectNothingStored(async () => {
      const answer = await api.call('POST', `/exchange-accounts/${created.body.account.id}/rotate-keys`, {
        token,
        body: { api_key: withdrawing.apiKey, secret: withdrawing.secret },
      });
      expect(answer.status).toBe(422);
      expect(answer.body.error.code).toBe('withdrawal_permission');
    });
  });

  it('answers 503, storing nothing, when the exchange cannot be reached', async () => {
    const keys = freshKeys();
    await api.registerKeys(keys);
    api.exchange.injectFault({
      path: '/api/v3/account',
      apiKey: keys.apiKey,
      fault: { kind: 'server-error' },
    });
    try {
      await expectNothingStored(async () => {
        const answer = await api.call('POST', '/exchange-accounts', {
          token,
          body: { mode: 'live', exchange: 'binance', api_key: keys.apiKey, secret: keys.secret },
        });
        expect(answer.status).toBe(503);
        expect(answer.body.error.code).toBe('exchange_unavailable');
      });
    } finally {
      api.exchange.faults.clear();
    }
  });

  it('answers 401 to a missing, expired, wrongly signed, non-user or garbage token, before reading anything', async () => {
    const expired = await tokenFor(user, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const wrongSecret = await tokenFor(user, { secret: `${JWT_SECRET}-other` });
    const anon = await tokenFor(user, { role: 'anon' });
    const service = await tokenFor(user, { role: 'service_role' });
    const notUuid = await tokenFor('not-a-uuid');
    for (const token of [undefined, expired, wrongSecret, anon, service, notUuid, 'garbage', 'a.b.c']) {
      for (const [method, path] of [
        ['GET', '/exchange-accounts'],
        ['POST', '/exchange-accounts'],
        ['GET', `/exchange-accounts/${paperId}`],
        ['DELETE', `/exchange-accounts/${paperId}`],
      ] as const) {
        const answer = await api.call(method, path, {
          token,
          body: method === 'POST' ? { mode: 'paper' } : undefined,
        });
        expect(answer.status, `${method} ${path} with ${token}`).toBe(401);
        expect(answer.body.error.code).toBe('unauthorized');
      }
    }
    const expiredAnswer = await api.call('GET', '/exchange-accounts', { token: expired });
    expect(expiredAnswer.body.error.message).toBe('the token has expired');
    const paper = await database().db.query('select status from public.exchange_accounts where id = $1', [
      paperId,
    ]);
    expect(paper).toEqual([{ status: 'active' }]);
  });

  it('never answers with a stack trace', () => {
    for (const text of api.responses) {
      expect(text).not.toMatch(/\bat .+\.ts:\d+/);
      expect(text).not.toMatch(/stack/i);
    }
  });
});
