/**
 * The vault's one error type. Messages are written for an operator and never contain
 * plaintext, key material or ciphertext: a `VaultError` may be logged, serialised or returned
 * (as its `code`) without leaking anything. No `cause` is attached, because the underlying
 * WebCrypto error says nothing useful and a future runtime might put data in it.
 */

export type VaultErrorCode =
  | 'master_key_missing'
  | 'master_key_too_short'
  | 'master_key_invalid'
  | 'master_key_config_invalid'
  | 'key_version_unknown'
  | 'envelope_invalid'
  | 'context_invalid'
  | 'decrypt_failed';

export class VaultError extends Error {
  override readonly name = 'VaultError';
  readonly code: VaultErrorCode;

  constructor(code: VaultErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Deliberately the same text for every authentication failure: wrong key, wrong row, or tampering. */
export const DECRYPT_FAILED_MESSAGE = 'credentials could not be decrypted: wrong key or tampered data';
