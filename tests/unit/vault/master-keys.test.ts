import { describe, expect, it } from 'vitest';
import { loadMasterKeys, readMasterKeyMaterial } from '../../../shared/vault/index.ts';
import { randomHexKey, randomMasterKey } from './builders.ts';

describe('loadMasterKeys', () => {
  it('refuses to start without TRADEFLOW_MASTER_KEY, saying which variable and how long', async () => {
    await expect(loadMasterKeys({})).rejects.toMatchObject({ code: 'master_key_missing' });
    await expect(loadMasterKeys({ TRADEFLOW_MASTER_KEY: '  ' })).rejects.toThrow(
      /TRADEFLOW_MASTER_KEY is not set: .*at least 32 bytes/,
    );
  });

  it('refuses a key shorter than 32 bytes and says how short it is', async () => {
    const short = randomMasterKey(31);
    const attempt = loadMasterKeys({ TRADEFLOW_MASTER_KEY: short });
    await expect(attempt).rejects.toMatchObject({ code: 'master_key_too_short' });
    await expect(attempt).rejects.toThrow(
      'TRADEFLOW_MASTER_KEY is too short: it decodes to 31 bytes, at least 32 are required',
    );
  });

  it('refuses a key that is neither hex nor base64', async () => {
    await expect(loadMasterKeys({ TRADEFLOW_MASTER_KEY: 'this is not a key!'.repeat(4) })).rejects.toThrow(
      'TRADEFLOW_MASTER_KEY is neither hex nor base64',
    );
  });

  it('accepts hex, base64 and url-safe base64 keys of 32 bytes or more', async () => {
    const urlSafe = randomMasterKey(48).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    for (const key of [randomHexKey(32), randomMasterKey(32), urlSafe]) {
      const ring = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: key });
      expect(ring.currentVersion).toBe(1);
    }
  });

  it('reads 64 hex digits as 32 bytes of hex, not as base64', () => {
    const { keys } = readMasterKeyMaterial({ TRADEFLOW_MASTER_KEY: randomHexKey(32) });
    expect(keys[0]!.key).toHaveLength(32);
  });

  it('loads the current version and the previous keys', async () => {
    const ring = await loadMasterKeys({
      TRADEFLOW_MASTER_KEY: randomMasterKey(),
      TRADEFLOW_MASTER_KEY_VERSION: '3',
      TRADEFLOW_MASTER_KEY_PREVIOUS: `1:${randomMasterKey()}, 2:${randomHexKey()}`,
    });
    expect(ring.currentVersion).toBe(3);
    expect(ring.versions).toEqual([1, 2, 3]);
  });

  it('refuses a malformed version or previous-key list without quoting it', async () => {
    const key = randomMasterKey();
    await expect(
      loadMasterKeys({ TRADEFLOW_MASTER_KEY: key, TRADEFLOW_MASTER_KEY_VERSION: 'two' }),
    ).rejects.toThrow('TRADEFLOW_MASTER_KEY_VERSION must be a positive whole number');
    await expect(
      loadMasterKeys({ TRADEFLOW_MASTER_KEY: key, TRADEFLOW_MASTER_KEY_PREVIOUS: key }),
    ).rejects.toThrow('TRADEFLOW_MASTER_KEY_PREVIOUS entry 1 must be written <version>:<key>');
    await expect(
      loadMasterKeys({ TRADEFLOW_MASTER_KEY: key, TRADEFLOW_MASTER_KEY_PREVIOUS: `1:${randomMasterKey(8)}` }),
    ).rejects.toThrow('TRADEFLOW_MASTER_KEY_PREVIOUS (version 1) is too short');
    await expect(
      loadMasterKeys({ TRADEFLOW_MASTER_KEY: key, TRADEFLOW_MASTER_KEY_PREVIOUS: `1:${randomMasterKey()}` }),
    ).rejects.toThrow('version 1 is given twice');
  });

  it('refuses to rotate to the key already in use', async () => {
    const key = randomMasterKey();
    await expect(
      loadMasterKeys({
        TRADEFLOW_MASTER_KEY: key,
        TRADEFLOW_MASTER_KEY_VERSION: '2',
        TRADEFLOW_MASTER_KEY_PREVIOUS: `1:${key}`,
      }),
    ).rejects.toThrow('holds the same key as version 2; a rotation needs a new key');
  });
});
