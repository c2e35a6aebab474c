/**
 * Exchange credentials in and out of the vault, bound to their account row: the vault's
 * authenticated data is (user id, account id), so a ciphertext copied to another row or
 * another user does not decrypt. Only the API's service context calls this.
 */
import type { ExchangeCredentials } from '../../exchange/credentials.ts';
import {
  decryptSecret,
  encryptSecret,
  type MasterKeyring,
  maskSecret,
  newUserSalt,
  serializeEnvelope,
} from '../../vault/index.ts';
import type { StoredCredentials } from './repository.ts';

/** Column values for one account's credentials. */
export interface SealedCredentials {
  apiKey: string;
  secret: string;
  password: string | null;
  salt: string;
  keyVersion: number;
  /** What the API may show of the key: bullets and its last four characters. */
  keySuffix: string;
}

export async function sealCredentials(
  keyring: MasterKeyring,
  credentials: ExchangeCredentials,
  row: { userId: string; accountId: number; userSalt: string | undefined },
): Promise<SealedCredentials> {
  const context = {
    userId: row.userId,
    accountId: String(row.accountId),
    userSalt: row.userSalt ?? newUserSalt(),
  };
  const seal = async (plaintext: string) =>
    serializeEnvelope(await encryptSecret(keyring, plaintext, context));
  return {
    apiKey: await seal(credentials.apiKey),
    secret: await seal(credentials.secret),
    password: credentials.password ? await seal(credentials.password) : null,
    salt: context.userSalt,
    keyVersion: keyring.currentVersion,
    keySuffix: maskSecret(credentials.apiKey),
  };
}

export async function openCredentials(
  keyring: MasterKeyring,
  stored: StoredCredentials,
  row: { userId: string; accountId: number },
): Promise<ExchangeCredentials> {
  const context = { userId: row.userId, accountId: String(row.accountId) };
  const credentials: ExchangeCredentials = {
    apiKey: await decryptSecret(keyring, stored.api_key_ciphertext, context),
    secret: await decryptSecret(keyring, stored.api_secret_ciphertext, context),
  };
  if (stored.api_password_ciphertext) {
    credentials.password = await decryptSecret(keyring, stored.api_password_ciphertext, context);
  }
  return credentials;
}
