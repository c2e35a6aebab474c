/**
 * Encryption of exchange credentials: AES-256-GCM with a key per user and master key version.
 *
 *   userKey = HKDF-SHA-256(ikm = master key[version], salt = user salt, info = purpose + version)
 *   envelope.ciphertext = AES-256-GCM(userKey, iv = 96 random bits, aad = (version, user id, account id))
 *
 * The additional authenticated data binds a ciphertext to its row: copied into another account
 * or another user's row it no longer decrypts. The tag makes any changed byte (IV, ciphertext,
 * tag, salt, version) fail the same way, with one generic message.
 */
import { base64ToBytes, bytesToBase64, utf8 } from './encoding.ts';
import { ENVELOPE_FORMAT, IV_BYTES, MIN_SALT_BYTES, parseEnvelope, type VaultEnvelope } from './envelope.ts';
import { DECRYPT_FAILED_MESSAGE, VaultError } from './errors.ts';
import { MASTER_KEY_PREVIOUS_ENV, type MasterKeyring } from './master-keys.ts';

/** The row a secret belongs to. Both ids go into the authenticated data. */
export type SecretContext = { userId: string; accountId: string };

export type EncryptContext = SecretContext & {
  /** The user's salt (base64, ≥ 16 bytes, from `newUserSalt`), stored with the user's rows. */
  userSalt: string;
};

const PURPOSE = 'tradeflow exchange-credentials aes-256-gcm';
const USER_SALT_BYTES = 32; // the HKDF-SHA-256 output length, as RFC 5869 recommends for a salt

/** A fresh random per-user salt, base64. */
export function newUserSalt(): string {
  return bytesToBase64(crypto.getRandomValues(new Uint8Array(USER_SALT_BYTES)));
}

export async function encryptSecret(
  keyring: MasterKeyring,
  plaintext: string,
  context: EncryptContext,
): Promise<VaultEnvelope> {
  assertContext(context);
  const salt = base64ToBytes(context.userSalt);
  if (!salt || salt.length < MIN_SALT_BYTES) {
    throw new VaultError('context_invalid', `userSalt must be base64 of at least ${MIN_SALT_BYTES} bytes`);
  }
  const keyVersion = keyring.currentVersion;
  const key = await deriveUserKey(keyring, keyVersion, salt);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(keyVersion, context) },
    key,
    utf8.encode(plaintext),
  );
  return {
    format: ENVELOPE_FORMAT,
    keyVersion,
    salt: bytesToBase64(salt),
    iv: bytesToBase64(iv),
    ciphertext: bytesToBase64(new Uint8Array(sealed)),
  };
}

/** Decrypts an envelope (object or its serialised text) for the row it was encrypted for. */
export async function decryptSecret(
  keyring: MasterKeyring,
  envelope: VaultEnvelope | string,
  context: SecretContext,
): Promise<string> {
  assertContext(context);
  const parsed = parseEnvelope(envelope);
  // The schema has already checked that these decode to the right lengths.
  const salt = base64ToBytes(parsed.salt)!;
  const iv = base64ToBytes(parsed.iv)!;
  const sealed = base64ToBytes(parsed.ciphertext)!;
  const key = await deriveUserKey(keyring, parsed.keyVersion, salt);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: additionalData(parsed.keyVersion, context) },
      key,
      sealed,
    );
    return utf8.decode(new Uint8Array(plain));
  } catch {
    throw new VaultError('decrypt_failed', DECRYPT_FAILED_MESSAGE);
  }
}

/**
 * Re-encrypts one envelope under `to`'s current master key version, keeping the user's salt
 * and drawing a new IV. `from` must hold the envelope's version. Used row by row by the rotate
 * command; usually `from` and `to` are the same keyring (previous + current keys).
 */
export async function reencrypt(
  envelope: VaultEnvelope | string,
  from: MasterKeyring,
  to: MasterKeyring,
  context: SecretContext,
): Promise<VaultEnvelope> {
  const parsed = parseEnvelope(envelope);
  const plaintext = await decryptSecret(from, parsed, context);
  return encryptSecret(to, plaintext, { ...context, userSalt: parsed.salt });
}

/** True when the envelope is not yet under the keyring's current master key version. */
export function needsRotation(envelope: VaultEnvelope | string, keyring: MasterKeyring): boolean {
  return parseEnvelope(envelope).keyVersion !== keyring.currentVersion;
}

async function deriveUserKey(keyring: MasterKeyring, version: number, salt: Uint8Array<ArrayBuffer>) {
  const baseKey = keyring.baseKey(version);
  if (!baseKey) {
    throw new VaultError(
      'key_version_unknown',
      `credentials could not be decrypted: master key version ${version} is not loaded ` +
        `(during a rotation it belongs in ${MASTER_KEY_PREVIOUS_ENV})`,
    );
  }
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt, info: utf8.encode(`${PURPOSE} v${version}`) },
    baseKey,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

function additionalData(keyVersion: number, context: SecretContext): Uint8Array<ArrayBuffer> {
  // A JSON array is unambiguous: no choice of ids can make two different rows encode alike.
  return utf8.encode(
    JSON.stringify([PURPOSE, ENVELOPE_FORMAT, keyVersion, context.userId, context.accountId]),
  );
}

function assertContext(context: SecretContext): void {
  if (typeof context.userId !== 'string' || context.userId === '') {
    throw new VaultError('context_invalid', 'userId is required: it binds the ciphertext to its row');
  }
  if (typeof context.accountId !== 'string' || context.accountId === '') {
    throw new VaultError('context_invalid', 'accountId is required: it binds the ciphertext to its row');
  }
}
