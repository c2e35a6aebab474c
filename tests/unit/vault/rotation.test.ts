import { describe, expect, it } from 'vitest';
import {
  decryptSecret,
  encryptSecret,
  loadMasterKeys,
  needsRotation,
  newUserSalt,
  reencrypt,
} from '../../../shared/vault/index.ts';
import { alice, apiSecret, bob, randomMasterKey } from './builders.ts';

const oldKey = randomMasterKey();
const newKey = randomMasterKey();

describe('master key rotation', () => {
  it('keeps old rows readable during rotation, moves them to the new version, then lets the old key go', async () => {
    const before = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: oldKey });
    const aliceSalt = newUserSalt();
    const rows = [
      { ids: alice, envelope: await encryptSecret(before, apiSecret, { ...alice, userSalt: aliceSalt }) },
      { ids: bob, envelope: await encryptSecret(before, 'bob-secret', { ...bob, userSalt: newUserSalt() }) },
    ];

    // Step 1: the new key is current, the old one is still loaded for decryption.
    const during = await loadMasterKeys({
      TRADEFLOW_MASTER_KEY: newKey,
      TRADEFLOW_MASTER_KEY_VERSION: '2',
      TRADEFLOW_MASTER_KEY_PREVIOUS: `1:${oldKey}`,
    });
    await expect(decryptSecret(during, rows[0]!.envelope, alice)).resolves.toBe(apiSecret);
    const written = await encryptSecret(during, 'fresh', { ...alice, userSalt: aliceSalt });
    expect(written.keyVersion).toBe(2);

    // Step 2: re-encrypt row by row; an untouched row still decrypts meanwhile.
    expect(rows.map((row) => needsRotation(row.envelope, during))).toEqual([true, true]);
    const rotatedAlice = await reencrypt(rows[0]!.envelope, during, during, alice);
    expect(rotatedAlice).toMatchObject({ keyVersion: 2, salt: aliceSalt });
    expect(rotatedAlice.iv).not.toBe(rows[0]!.envelope.iv);
    await expect(decryptSecret(during, rows[1]!.envelope, bob)).resolves.toBe('bob-secret');
    const rotatedBob = await reencrypt(rows[1]!.envelope, during, during, bob);
    expect([rotatedAlice, rotatedBob].map((envelope) => needsRotation(envelope, during))).toEqual([
      false,
      false,
    ]);

    // Step 3: the previous key is removed from the environment.
    const after = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: newKey, TRADEFLOW_MASTER_KEY_VERSION: '2' });
    await expect(decryptSecret(after, rotatedAlice, alice)).resolves.toBe(apiSecret);
    await expect(decryptSecret(after, rotatedBob, bob)).resolves.toBe('bob-secret');
    await expect(decryptSecret(after, rows[0]!.envelope, alice)).rejects.toMatchObject({
      code: 'key_version_unknown',
      message: expect.stringContaining('master key version 1 is not loaded'),
    });
  });

  it('re-encrypts from one keyring into another', async () => {
    const from = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: oldKey });
    const to = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: newKey, TRADEFLOW_MASTER_KEY_VERSION: '7' });
    const envelope = await encryptSecret(from, apiSecret, { ...alice, userSalt: newUserSalt() });
    const moved = await reencrypt(envelope, from, to, alice);
    expect(moved.keyVersion).toBe(7);
    await expect(decryptSecret(to, moved, alice)).resolves.toBe(apiSecret);
  });

  it('refuses to re-encrypt a ciphertext that does not belong to the given row', async () => {
    const ring = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: oldKey });
    const envelope = await encryptSecret(ring, apiSecret, { ...alice, userSalt: newUserSalt() });
    await expect(reencrypt(envelope, ring, ring, bob)).rejects.toMatchObject({ code: 'decrypt_failed' });
  });

  it('drops a version from a loaded keyring, but never the current one', async () => {
    const ring = await loadMasterKeys({
      TRADEFLOW_MASTER_KEY: newKey,
      TRADEFLOW_MASTER_KEY_VERSION: '2',
      TRADEFLOW_MASTER_KEY_PREVIOUS: `1:${oldKey}`,
    });
    expect(ring.without(1).versions).toEqual([2]);
    expect(() => ring.without(2)).toThrow('the current master key version cannot be removed');
  });
});
