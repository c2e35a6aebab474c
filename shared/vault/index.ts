/**
 * Credential vault for exchange API keys (issue 3, item 7).
 *
 * Runtime-agnostic (WebCrypto, TextEncoder, atob/btoa only): the same code runs in the worker
 * Edge Function (Deno), the local platform (Node 20) and vitest.
 *
 * Scheme
 * - AES-256-GCM with a 96-bit random IV per encryption.
 * - One AES key per user and master key version, derived with HKDF-SHA-256 from the master key
 *   and the user's random salt (`newUserSalt`, 32 bytes); the HKDF info names the purpose and
 *   the master key version. The salt is stored in every envelope, so decryption needs only the
 *   envelope, the row's ids and the master keys.
 * - Additional authenticated data = (format, key version, user id, account id): a ciphertext
 *   moved to another account or user row does not decrypt.
 * - Envelope `{ format: 1, keyVersion, salt, iv, ciphertext }` (base64 fields; the ciphertext
 *   ends with the 16-byte GCM tag), for a `jsonb` column, or as text via `serializeEnvelope`.
 *
 * Master keys (`loadMasterKeys(env)`, refuses to start with a clear message when one is missing,
 * undecodable or shorter than 32 bytes — the message names the variable, never the value):
 *   TRADEFLOW_MASTER_KEY            current key (hex or base64 of ≥ 32 bytes)
 *   TRADEFLOW_MASTER_KEY_VERSION    its version (default 1)
 *   TRADEFLOW_MASTER_KEY_PREVIOUS   `<version>:<key>[,<version>:<key>…]`, decrypt-only
 *
 * Rotation without downtime
 *   1. Generate a new key. Set TRADEFLOW_MASTER_KEY_PREVIOUS="1:<old key>",
 *      TRADEFLOW_MASTER_KEY=<new key>, TRADEFLOW_MASTER_KEY_VERSION=2, and redeploy. New secrets
 *      are written under version 2; rows still under version 1 keep decrypting.
 *   2. Run the rotate command: for each row where `needsRotation`, `reencrypt(envelope, ring,
 *      ring, ids)` and update that row alone (compare-and-set on the old envelope, so a
 *      concurrent key update wins).
 *   3. When no row is left under version 1, remove TRADEFLOW_MASTER_KEY_PREVIOUS.
 *
 * Errors are `VaultError`s with a `code`; messages never contain plaintext, keys or
 * ciphertext, and every authentication failure reads the same:
 * "credentials could not be decrypted: wrong key or tampered data".
 */
export {
  decryptSecret,
  type EncryptContext,
  encryptSecret,
  needsRotation,
  newUserSalt,
  reencrypt,
  type SecretContext,
} from './cipher.ts';
export { parseEnvelope, serializeEnvelope, type VaultEnvelope } from './envelope.ts';
export { DECRYPT_FAILED_MESSAGE, VaultError, type VaultErrorCode } from './errors.ts';
export { maskSecret } from './mask.ts';
export {
  loadMasterKeys,
  MASTER_KEY_ENV,
  MASTER_KEY_PREVIOUS_ENV,
  MASTER_KEY_VERSION_ENV,
  type MasterKeyMaterial,
  MasterKeyring,
  MIN_MASTER_KEY_BYTES,
  readMasterKeyMaterial,
} from './master-keys.ts';
