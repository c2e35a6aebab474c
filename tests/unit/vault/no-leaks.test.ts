import { describe, expect, it } from 'vitest';
import {
  decryptSecret,
  encryptSecret,
  loadMasterKeys,
  maskSecret,
  newUserSalt,
  VaultError,
} from '../../../shared/vault/index.ts';
import { alice, apiSecret, bob, flipByte, randomMasterKey } from './builders.ts';

/** Every way an error might end up in a log line or an API response. */
function renderings(error: unknown): string[] {
  const e = error as Error;
  return [
    String(e),
    e.message,
    e.stack ?? '',
    JSON.stringify(e),
    JSON.stringify({ error: e }),
    JSON.stringify(e, Object.getOwnPropertyNames(e)),
  ];
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('nothing secret leaks', () => {
  it('keeps the secret, the master key and the ciphertext out of every error', async () => {
    const masterKey = randomMasterKey();
    const shortKey = randomMasterKey(20);
    const previousKey = randomMasterKey(8);
    const ring = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: masterKey });
    const envelope = await encryptSecret(ring, apiSecret, { ...alice, userSalt: newUserSalt() });
    const errors = [
      await caught(decryptSecret(ring, envelope, bob)),
      await caught(decryptSecret(ring, flipByte(envelope, 'ciphertext', -1), alice)),
      await caught(
        decryptSecret(await loadMasterKeys({ TRADEFLOW_MASTER_KEY: randomMasterKey() }), envelope, alice),
      ),
      await caught(decryptSecret(ring, { ...envelope, iv: envelope.salt }, alice)),
      await caught(loadMasterKeys({ TRADEFLOW_MASTER_KEY: shortKey })),
      await caught(
        loadMasterKeys({
          TRADEFLOW_MASTER_KEY: masterKey,
          TRADEFLOW_MASTER_KEY_PREVIOUS: `1:${previousKey}`,
        }),
      ),
      await caught(
        loadMasterKeys({ TRADEFLOW_MASTER_KEY: masterKey, TRADEFLOW_MASTER_KEY_PREVIOUS: masterKey }),
      ),
    ];
    const forbidden = [apiSecret, masterKey, shortKey, previousKey, envelope.ciphertext, envelope.salt];
    for (const error of errors) {
      expect(error).toBeInstanceOf(VaultError);
      for (const text of renderings(error)) {
        for (const secret of forbidden) expect(text).not.toContain(secret);
      }
    }
  });

  it('shows no key material when a keyring is serialised or logged', async () => {
    const masterKey = randomMasterKey();
    const ring = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: masterKey });
    expect(JSON.stringify(ring)).toBe('{"currentVersion":1,"versions":[1]}');
    expect(String(ring)).not.toContain(masterKey);
  });
});

describe('maskSecret', () => {
  it('shows only the last four characters of an API key', () => {
    expect(maskSecret('vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A')).toBe('••••••Eh8A');
  });

  it('hides short secrets entirely and never reveals the length', () => {
    expect(maskSecret('abc123')).toBe('••••••');
    expect(maskSecret('')).toBe('••••••');
    expect(maskSecret(undefined)).toBe('••••••');
    expect(maskSecret('a'.repeat(16))).toHaveLength(maskSecret('a'.repeat(64)).length);
  });
});
