import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { loadMasterKeys } from '../../../shared/vault/index.ts';
import { createUser, describeOnEachBackend } from '../../support/databases.ts';
import { type ApiHarness, apiHarness, freshKeys, randomMasterKey, tokenFor } from './support.ts';

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

describeOnEachBackend('exchange accounts API keeps secrets in', (database) => {
  let api: ApiHarness;
  const printed: string[] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    for (const method of CONSOLE_METHODS) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        printed.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      });
    }
    api = await apiHarness(database().db);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await api?.close();
  });

  it('never returns or logs a plaintext key or secret, nor any stored ciphertext', async () => {
    const user = await createUser(database().db);
    const token = await tokenFor(user);
    const good = freshKeys();
    await api.registerKeys(good);
    secrets.push(good.apiKey, good.secret, 'my-pass-phrase-1234');

    // Every route, successful and refused, with secrets in play.
    const created = await api.call('POST', '/exchange-accounts', {
      token,
      body: {
        mode: 'live',
        exchange: 'binance',
        api_key: good.apiKey,
        secret: good.secret,
        password: 'my-pass-phrase-1234',
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.account.id as number;
    await api.call('GET', '/exchange-accounts', { token });
    await api.call('GET', `/exchange-accounts/${id}`, { token });
    await api.call('PATCH', `/exchange-accounts/${id}`, { token, body: { label: 'renamed' } });
    await api.call('POST', `/exchange-accounts/${id}/verify`, { token });

    const rotated = freshKeys();
    await api.registerKeys(rotated);
    secrets.push(rotated.apiKey, rotated.secret);
    await api.call('POST', `/exchange-accounts/${id}/rotate-keys`, {
      token,
      body: { api_key: rotated.apiKey, secret: rotated.secret },
    });

    const refused = freshKeys();
    await api.registerKeys(refused);
    secrets.push(refused.apiKey, refused.secret, `${refused.secret}-wrong`);
    await api.call('POST', '/exchange-accounts', {
      token,
      body: { mode: 'live', exchange: 'binance', api_key: refused.apiKey, secret: `${refused.secret}-wrong` },
    });
    const withdrawing = freshKeys();
    await api.registerKeys(withdrawing, { enableWithdrawals: true });
    secrets.push(withdrawing.apiKey, withdrawing.secret);
    await api.call('POST', '/exchange-accounts', {
      token,
      body: { mode: 'live', exchange: 'binance', api_key: withdrawing.apiKey, secret: withdrawing.secret },
    });
    // A secret in a field where it does not belong, and in a malformed body.
    await api.call('POST', '/exchange-accounts', { token, body: { mode: 'paper', secret: good.secret } });
    await api.call('POST', '/exchange-accounts', { token, raw: `{"mode":"live","secret":"${good.secret}"` });
    // An unexpected failure (the exchange answers garbage) is logged: the log line must be clean too.
    api.exchange.injectFault({
      path: '/api/v3/account',
      fault: {
        kind: 'binance-error',
        status: 400,
        code: -1000,
        msg: 'An unknown error occured while processing the request.',
      },
    });
    await api.call('POST', `/exchange-accounts/${id}/verify`, { token });
    api.exchange.faults.clear();
    // Stored keys that no longer decrypt (a wrong master key) are reported in a log line.
    const original = api.keyring;
    api.rebuild(await loadMasterKeys({ TRADEFLOW_MASTER_KEY: randomMasterKey() }));
    const unreadable = await api.call('POST', `/exchange-accounts/${id}/verify`, { token });
    expect(unreadable.status).toBe(500);
    expect(unreadable.body.error.code).toBe('credentials_unreadable');
    api.rebuild(original);
    expect(api.logLines).toHaveLength(1);
    await api.call('DELETE', `/exchange-accounts/${id}`, { token });

    const ciphertexts = await database().db.query<Record<string, string | null>>(
      `select api_key_ciphertext, api_secret_ciphertext, api_password_ciphertext, key_salt
         from public.exchange_accounts where owner = $1`,
      [user],
    );
    const stored = ciphertexts.flatMap((row) => Object.values(row)).filter((v): v is string => !!v);
    const storedParts = stored.flatMap((text) => {
      try {
        const envelope = JSON.parse(text) as Record<string, unknown>;
        return [text, String(envelope['ciphertext']), String(envelope['iv'])];
      } catch {
        return [text];
      }
    });

    const everything = [...api.responses, ...api.logLines, ...printed];
    expect(api.responses.length).toBeGreaterThan(10);
    for (const text of everything) {
      for (const secret of [...secrets, ...storedParts]) {
        expect(text.includes(secret), `a response or log line contains a secret: ${text.slice(0, 80)}`).toBe(
          false,
        );
      }
    }
  });
});
