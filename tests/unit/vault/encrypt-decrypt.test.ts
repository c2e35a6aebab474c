import { describe, expect, it } from 'vitest';
import {
  DECRYPT_FAILED_MESSAGE,
  decryptSecret,
  encryptSecret,
  loadMasterKeys,
  newUserSalt,
  parseEnvelope,
  serializeEnvelope,
  type VaultEnvelope,
} from '../../../shared/vault/index.ts';
import { alice, aliceOtherAccount, apiSecret, bob, flipByte, randomMasterKey } from './builders.ts';

const keyring = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: randomMasterKey() });
const aliceSalt = newUserSalt();
const bobSalt = newUserSalt();

async function sealedForAlice(secret = apiSecret): Promise<VaultEnvelope> {
  return encryptSecret(keyring, secret, { ...alice, userSalt: aliceSalt });
}

async function expectDecryptFailure(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'VaultError', code: 'decrypt_failed' });
  await expect(promise).rejects.toThrow(DECRYPT_FAILED_MESSAGE);
}

describe('encryptSecret / decryptSecret', () => {
  it('returns the original secret for the row it was encrypted for', async () => {
    const envelope = await sealedForAlice();
    await expect(decryptSecret(keyring, envelope, alice)).resolves.toBe(apiSecret);
  });

  it('round-trips unicode and empty secrets', async () => {
    for (const secret of ['', 'pässwörd 🔑 ключ', '{"apiKey":"a","secret":"b","password":"c"}']) {
      await expect(decryptSecret(keyring, await sealedForAlice(secret), alice)).resolves.toBe(secret);
    }
  });

  it('writes a small envelope with the key version, the salt, a 96-bit IV and the GCM tag', async () => {
    const envelope = await sealedForAlice();
    expect(envelope).toMatchObject({ format: 1, keyVersion: 1, salt: aliceSalt });
    expect(atob(envelope.iv)).toHaveLength(12);
    expect(atob(envelope.ciphertext)).toHaveLength(new TextEncoder().encode(apiSecret).length + 16);
    expect(JSON.stringify(envelope)).not.toContain(apiSecret);
  });

  it('draws a new IV for every encryption of the same secret', async () => {
    const [a, b] = [await sealedForAlice(), await sealedForAlice()];
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('decrypts the serialised text form, as stored in a text column', async () => {
    const text = serializeEnvelope(await sealedForAlice());
    await expect(decryptSecret(keyring, text, alice)).resolves.toBe(apiSecret);
    expect(parseEnvelope(text)).toEqual(JSON.parse(text));
  });

  it('fails when one bit of the IV is changed', async () => {
    await expectDecryptFailure(decryptSecret(keyring, flipByte(await sealedForAlice(), 'iv', 0), alice));
  });

  it('fails when one bit of the tag is changed', async () => {
    await expectDecryptFailure(
      decryptSecret(keyring, flipByte(await sealedForAlice(), 'ciphertext', -1), alice),
    );
  });

  it('fails when one bit of the ciphertext is changed', async () => {
    await expectDecryptFailure(
      decryptSecret(keyring, flipByte(await sealedForAlice(), 'ciphertext', 3), alice),
    );
  });

  it('fails when the salt is changed', async () => {
    await expectDecryptFailure(decryptSecret(keyring, flipByte(await sealedForAlice(), 'salt', 5), alice));
  });

  it("fails when a ciphertext is moved to another of the user's accounts", async () => {
    await expectDecryptFailure(decryptSecret(keyring, await sealedForAlice(), aliceOtherAccount));
  });

  it('fails when a ciphertext is moved to another user, even with that user salt and account id', async () => {
    const envelope = await sealedForAlice();
    await expectDecryptFailure(decryptSecret(keyring, { ...envelope, salt: bobSalt }, bob));
    await expectDecryptFailure(decryptSecret(keyring, envelope, { ...bob, accountId: alice.accountId }));
  });

  it('fails when the envelope claims another key version than the one it was written under', async () => {
    const two = await loadMasterKeys({
      TRADEFLOW_MASTER_KEY: randomMasterKey(),
      TRADEFLOW_MASTER_KEY_VERSION: '2',
      TRADEFLOW_MASTER_KEY_PREVIOUS: `1:${randomMasterKey()}`,
    });
    const envelope = await encryptSecret(two, apiSecret, { ...alice, userSalt: aliceSalt });
    await expectDecryptFailure(decryptSecret(two, { ...envelope, keyVersion: 1 }, alice));
  });

  it('fails with a different master key', async () => {
    const other = await loadMasterKeys({ TRADEFLOW_MASTER_KEY: randomMasterKey() });
    await expectDecryptFailure(decryptSecret(other, await sealedForAlice(), alice));
  });

  it('refuses malformed envelopes with the field at fault', async () => {
    const envelope = await sealedForAlice();
    await expect(decryptSecret(keyring, { ...envelope, iv: btoa('short') }, alice)).rejects.toThrow(
      /not a vault envelope: iv must be base64 of 12 bytes/,
    );
    await expect(decryptSecret(keyring, 'not json', alice)).rejects.toMatchObject({
      code: 'envelope_invalid',
    });
    await expect(decryptSecret(keyring, { ...envelope, format: 2 } as never, alice)).rejects.toMatchObject({
      code: 'envelope_invalid',
    });
  });

  it('refuses to encrypt without both row ids or with a short salt', async () => {
    await expect(
      encryptSecret(keyring, apiSecret, { userId: '', accountId: 'a', userSalt: aliceSalt }),
    ).rejects.toThrow(/userId is required/);
    await expect(
      encryptSecret(keyring, apiSecret, { userId: 'u', accountId: '', userSalt: aliceSalt }),
    ).rejects.toThrow(/accountId is required/);
    await expect(
      encryptSecret(keyring, apiSecret, { ...alice, userSalt: btoa('too short') }),
    ).rejects.toThrow(/userSalt must be base64 of at least 16 bytes/);
  });
});
