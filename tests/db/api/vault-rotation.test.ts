import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateExchangeCredentials } from '../../../platform/cli/vault-rotate.ts';
import {
  decryptSecret,
  loadMasterKeys,
  type MasterKeyring,
  parseEnvelope,
} from '../../../shared/vault/index.ts';
import {
  createUser,
  describeOnEachBackend,
  freshDatabase,
  type TestDatabase,
} from '../../support/databases.ts';
import { type ApiHarness, apiHarness, freshKeys, randomMasterKey, tokenFor } from './support.ts';

const run = promisify(execFile);

interface CredentialRow {
  id: number;
  owner: string;
  key_version: number;
  api_key_ciphertext: string;
  api_secret_ciphertext: string;
  api_password_ciphertext: string | null;
}

describeOnEachBackend('vault:rotate', (database) => {
  const oldKey = randomMasterKey();
  const newKey = randomMasterKey();
  const thirdKey = randomMasterKey();
  const v1 = { TRADEFLOW_MASTER_KEY: oldKey };
  const v2 = {
    TRADEFLOW_MASTER_KEY: newKey,
    TRADEFLOW_MASTER_KEY_VERSION: '2',
    TRADEFLOW_MASTER_KEY_PREVIOUS: `1:${oldKey}`,
  };
  let api: ApiHarness;
  let both: MasterKeyring;
  const plaintext = new Map<number, { apiKey: string; secret: string; password?: string }>();

  const rows = () =>
    database().db.query<CredentialRow>(
      `select id, owner, key_version, api_key_ciphertext, api_secret_ciphertext, api_password_ciphertext
         from public.exchange_accounts where api_key_ciphertext is not null order by id`,
    );

  beforeAll(async () => {
    api = await apiHarness(database().db, await loadMasterKeys(v1));
    both = await loadMasterKeys(v2);
    for (const [index, withPassword] of [false, true, false].entries()) {
      const token = await tokenFor(await createUser(database().db));
      const keys = { ...freshKeys(), ...(withPassword ? { password: `pass-${index}` } : {}) };
      await api.registerKeys(keys);
      const created = await api.call('POST', '/exchange-accounts', {
        token,
        body: {
          mode: 'live',
          exchange: 'binance',
          api_key: keys.apiKey,
          secret: keys.secret,
          password: keys.password,
        },
      });
      expect(created.status).toBe(201);
      plaintext.set(created.body.account.id, keys);
      if (index === 2) await api.call('DELETE', `/exchange-accounts/${created.body.account.id}`, { token });
    }
  });
  afterAll(() => api?.close());

  it('keeps rows under version 1 readable while the API already runs with version 2', async () => {
    api.rebuild(both);
    const [first] = await rows();
    expect(first!.key_version).toBe(1);
    const context = { userId: first!.owner, accountId: String(first!.id) };
    expect(await decryptSecret(both, first!.api_secret_ciphertext, context)).toBe(
      plaintext.get(first!.id)!.secret,
    );
    const verified = await api.call('POST', `/exchange-accounts/${first!.id}/verify`, {
      token: await tokenFor(first!.owner),
    });
    expect(verified.status).toBe(200);
  });

  it('re-encrypts every row under version 1 (deleted ones too) to version 2, and they still decrypt', async () => {
    const summary = await rotateExchangeCredentials(database().db, both, { batchSize: 2 });
    expect(summary).toEqual({
      currentVersion: 2,
      examined: 3,
      rotated: 3,
      alreadyCurrent: 0,
      changedConcurrently: 0,
      failed: [],
      remainingOldVersions: [],
    });
    const onlyNew = both.without(1);
    for (const row of await rows()) {
      expect(row.key_version).toBe(2);
      const context = { userId: row.owner, accountId: String(row.id) };
      const keys = plaintext.get(row.id)!;
      for (const envelope of [row.api_key_ciphertext, row.api_secret_ciphertext]) {
        expect(parseEnvelope(envelope).keyVersion).toBe(2);
      }
      expect(await decryptSecret(onlyNew, row.api_key_ciphertext, context)).toBe(keys.apiKey);
      expect(await decryptSecret(onlyNew, row.api_secret_ciphertext, context)).toBe(keys.secret);
      if (keys.password) {
        expect(await decryptSecret(onlyNew, row.api_password_ciphertext!, context)).toBe(keys.password);
      } else {
        expect(row.api_password_ciphertext).toBeNull();
      }
    }
  });

  it('lets the old key be removed: the API runs on version 2 alone', async () => {
    api.rebuild(await loadMasterKeys({ TRADEFLOW_MASTER_KEY: newKey, TRADEFLOW_MASTER_KEY_VERSION: '2' }));
    const [first] = await rows();
    const verified = await api.call('POST', `/exchange-accounts/${first!.id}/verify`, {
      token: await tokenFor(first!.owner),
    });
    expect(verified.status).toBe(200);
  });

  it('does nothing on a second run', async () => {
    const before = await rows();
    const summary = await rotateExchangeCredentials(database().db, both);
    expect(summary).toMatchObject({ examined: 3, rotated: 0, alreadyCurrent: 3, failed: [] });
    expect(await rows()).toEqual(before);
  });

  it('leaves a row alone when its keys changed between read and write (compare-and-set)', async () => {
    const third = await loadMasterKeys({
      TRADEFLOW_MASTER_KEY: thirdKey,
      TRADEFLOW_MASTER_KEY_VERSION: '3',
      TRADEFLOW_MASTER_KEY_PREVIOUS: `2:${newKey}`,
    });
    const [first] = await rows();
    const db = database().db;
    let raced = false;
    // A user rotating their keys exactly between the command's read and its write.
    const racing = {
      ...db,
      async query<T>(text: string, params?: readonly unknown[]): Promise<T[]> {
        if (!raced && text.includes('update public.exchange_accounts')) {
          raced = true;
          await db.query(`update public.exchange_accounts set api_key_ciphertext = $2 where id = $1`, [
            first!.id,
            first!.api_secret_ciphertext,
          ]);
        }
        return db.query<T>(text, params);
      },
    };
    const summary = await rotateExchangeCredentials(racing, third);
    expect(summary).toMatchObject({
      examined: 3,
      rotated: 2,
      changedConcurrently: 1,
      remainingOldVersions: [2],
    });
    const [after] = await rows();
    expect(after!.api_key_ciphertext).toBe(first!.api_secret_ciphertext);
    // Put the row back as it was for the next specification.
    await db.query('update public.exchange_accounts set api_key_ciphertext = $2 where id = $1', [
      first!.id,
      first!.api_key_ciphertext,
    ]);
  });

  it('reports a row it cannot decrypt and goes on with the others', async () => {
    const third = await loadMasterKeys({
      TRADEFLOW_MASTER_KEY: thirdKey,
      TRADEFLOW_MASTER_KEY_VERSION: '3',
      TRADEFLOW_MASTER_KEY_PREVIOUS: `2:${newKey}`,
    });
    const [first] = await rows();
    // A row under a version that is no longer loaded.
    await database().db.query(
      `update public.exchange_accounts set key_version = 1, api_secret_ciphertext = $2 where id = $1`,
      [first!.id, JSON.stringify({ ...parseEnvelope(first!.api_secret_ciphertext), keyVersion: 1 })],
    );
    const summary = await rotateExchangeCredentials(database().db, third);
    // The two others were re-encrypted to version 3 by the previous specification.
    expect(summary.alreadyCurrent).toBe(2);
    expect(summary.failed).toEqual([
      {
        accountId: first!.id,
        reason: expect.stringMatching(/^key_version_unknown: .*master key version 1 is not loaded/),
      },
    ]);
    expect(summary.remainingOldVersions).toEqual([1]);
    expect(JSON.stringify(summary)).not.toContain(plaintext.get(first!.id)!.secret);
  });
});

describe('npm run vault:rotate', () => {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await freshDatabase('postgres');
  });
  afterAll(() => database?.close());

  it('re-encrypts a PostgreSQL database given by --db-url and prints a JSON summary', async () => {
    const oldKey = randomMasterKey();
    const newKey = randomMasterKey();
    const api = await apiHarness(database!.db, await loadMasterKeys({ TRADEFLOW_MASTER_KEY: oldKey }));
    try {
      const token = await tokenFor(await createUser(database!.db));
      const keys = freshKeys();
      await api.registerKeys(keys);
      const created = await api.call('POST', '/exchange-accounts', {
        token,
        body: { mode: 'live', exchange: 'binance', api_key: keys.apiKey, secret: keys.secret },
      });
      expect(created.status).toBe(201);
    } finally {
      await api.close();
    }
    const { stdout } = await run('npx', ['tsx', 'platform/cli/vault-rotate.ts', '--db-url', database!.url!], {
      env: {
        ...process.env,
        TRADEFLOW_MASTER_KEY: newKey,
        TRADEFLOW_MASTER_KEY_VERSION: '2',
        TRADEFLOW_MASTER_KEY_PREVIOUS: `1:${oldKey}`,
      },
    });
    expect(JSON.parse(stdout.trim())).toEqual({
      currentVersion: 2,
      examined: 1,
      rotated: 1,
      alreadyCurrent: 0,
      changedConcurrently: 0,
      failed: [],
      remainingOldVersions: [],
    });
    const versions = await database!.db.query('select key_version from public.exchange_accounts');
    expect(versions).toEqual([{ key_version: 2 }]);
  });

  it('refuses to run without the master key, with the vault’s message', async () => {
    const failure = await run('npx', ['tsx', 'platform/cli/vault-rotate.ts', '--db-url', database!.url!], {
      env: { ...process.env, TRADEFLOW_MASTER_KEY: '' },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(/TRADEFLOW_MASTER_KEY is not set/);
  });
});
