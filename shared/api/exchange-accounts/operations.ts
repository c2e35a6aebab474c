/**
 * What each exchange accounts request does. Reads and the changes a user may make go through
 * `asUser` (RLS); credential writes, status changes and decryption run in the service context,
 * each after an `asUser` read has shown the account belongs to the caller. A foreign account is
 * "not found", exactly like a missing one, so ids of other users' accounts reveal nothing.
 */
import { asUser, type SqlClient } from '../../db/sql.ts';
import {
  type CredentialCheck,
  CredentialCheckError,
  type CredentialVerifier,
  type ExchangeCredentials,
  type KeyedAccountMode,
} from '../../exchange/credentials.ts';
import { HttpError } from '../../http/errors.ts';
import { type MasterKeyring, VaultError } from '../../vault/index.ts';
import type { ApiLog } from '../errors.ts';
import { invalidRequest } from '../validation.ts';
import {
  type AccountRow,
  findAccountAsUser,
  insertKeyedAccountAsService,
  insertPaperAccountAsUser,
  listAccountsAsUser,
  markDeletedAsService,
  readCredentialsAsService,
  recordVerificationAsService,
  replaceCredentialsAsService,
  reserveAccountIdAsService,
  updateSettingsAsUser,
  userSaltAsService,
} from './repository.ts';
import type { CreateAccountBody, RotateKeysBody, UpdateAccountBody } from './schemas.ts';
import { openCredentials, sealCredentials } from './sealed-credentials.ts';

export interface AccountDeps {
  db: SqlClient;
  keyring: MasterKeyring;
  credentials: CredentialVerifier;
  log: ApiLog;
}

/** What a key check found, as the API reports it next to the account. */
export interface Verification {
  permissions: CredentialCheck['permissions'];
  /** `null`: the exchange does not say whether these keys can withdraw. */
  can_withdraw: boolean | null;
}

export type KeyedResult = { account: AccountRow; verification: Verification };

const notFound = (id: number) => new HttpError(404, 'not_found', `exchange account ${id} not found`);

export function listAccounts(
  deps: AccountDeps,
  userId: string,
  includeDeleted: boolean,
): Promise<AccountRow[]> {
  return asUser(deps.db, userId, (tx) => listAccountsAsUser(tx, includeDeleted));
}

export async function getAccount(deps: AccountDeps, userId: string, id: number): Promise<AccountRow> {
  const account = await asUser(deps.db, userId, (tx) => findAccountAsUser(tx, id));
  if (!account) throw notFound(id);
  return account;
}

export async function createPaperAccount(
  deps: AccountDeps,
  userId: string,
  body: Extract<CreateAccountBody, { mode: 'paper' }>,
): Promise<AccountRow> {
  return asUser(deps.db, userId, (tx) =>
    insertPaperAccountAsUser(tx, {
      exchange: body.exchange ?? 'paper',
      label: body.label,
      maxOrderNotional: body.max_order_notional,
    }),
  );
}

export async function createKeyedAccount(
  deps: AccountDeps,
  userId: string,
  body: Exclude<CreateAccountBody, { mode: 'paper' }>,
): Promise<KeyedResult> {
  const credentials = credentialsOf(body);
  // The exchange is asked before anything is written: refused keys leave no row behind.
  const check = await checkKeys(deps, body.exchange, body.mode, credentials);
  const account = await deps.db.transaction(async (tx) => {
    const id = await reserveAccountIdAsService(tx);
    const userSalt = await userSaltAsService(tx, userId);
    const sealed = await sealCredentials(deps.keyring, credentials, { userId, accountId: id, userSalt });
    return insertKeyedAccountAsService(tx, {
      id,
      owner: userId,
      exchange: body.exchange,
      mode: body.mode,
      label: body.label,
      maxOrderNotional: body.max_order_notional,
      sealed,
      permissions: check.permissions,
    });
  });
  return { account, verification: verificationOf(check) };
}

export async function updateAccount(
  deps: AccountDeps,
  userId: string,
  id: number,
  body: UpdateAccountBody,
): Promise<AccountRow> {
  const updated = await asUser(deps.db, userId, async (tx) => {
    const account = await findAccountAsUser(tx, id);
    if (!account) throw notFound(id);
    if (account.status === 'deleted') throw deletedAccount(id);
    return updateSettingsAsUser(tx, id, { label: body.label, maxOrderNotional: body.max_order_notional });
  });
  if (!updated) throw deletedAccount(id);
  return updated;
}

export async function rotateKeys(
  deps: AccountDeps,
  userId: string,
  id: number,
  body: RotateKeysBody,
): Promise<KeyedResult> {
  const account = await keyedAccountOf(deps, userId, id);
  const credentials = credentialsOf(body);
  const check = await checkKeys(deps, account.exchange, account.mode as KeyedAccountMode, credentials);
  const updated = await deps.db.transaction(async (tx) => {
    const userSalt = await userSaltAsService(tx, userId);
    const sealed = await sealCredentials(deps.keyring, credentials, { userId, accountId: id, userSalt });
    return replaceCredentialsAsService(tx, id, userId, sealed, check.permissions);
  });
  if (!updated) throw deletedAccount(id);
  return { account: updated, verification: verificationOf(check) };
}

/**
 * Re-checks the stored keys with the exchange. Keys that can now withdraw are recorded as such
 * and the account is disabled (the worker trades only on active accounts) until keys without
 * withdrawal rights are rotated in.
 */
export async function verifyAccount(deps: AccountDeps, userId: string, id: number): Promise<KeyedResult> {
  const account = await keyedAccountOf(deps, userId, id);
  const stored = await readCredentialsAsService(deps.db, id, userId);
  if (!stored) throw notFound(id);
  let credentials: ExchangeCredentials;
  try {
    credentials = await openCredentials(deps.keyring, stored, { userId, accountId: id });
  } catch (error) {
    if (!(error instanceof VaultError)) throw error;
    // Vault messages never contain key material or ciphertext (shared/vault/errors.ts).
    deps.log(`api: exchange account ${id}: ${error.message}`);
    throw new HttpError(500, 'credentials_unreadable', 'the stored API keys could not be decrypted');
  }
  const check = await checkKeys(deps, account.exchange, account.mode as KeyedAccountMode, credentials, {
    refuseWithdrawal: false,
  });
  const canWithdraw = check.canWithdraw === true;
  const updated = await recordVerificationAsService(deps.db, id, userId, check.permissions, canWithdraw);
  if (!updated) throw deletedAccount(id);
  if (canWithdraw) {
    throw new HttpError(
      422,
      'withdrawal_permission',
      'these API keys can now withdraw funds: the account is disabled until keys without withdrawal permission are rotated in',
    );
  }
  return { account: updated, verification: verificationOf(check) };
}

/** Soft delete. Deleting again answers the same deleted account. */
export async function deleteAccount(deps: AccountDeps, userId: string, id: number): Promise<AccountRow> {
  const account = await getAccount(deps, userId, id);
  if (account.status === 'deleted') return account;
  const deleted = await markDeletedAsService(deps.db, id, userId);
  return deleted ?? getAccount(deps, userId, id);
}

async function keyedAccountOf(deps: AccountDeps, userId: string, id: number): Promise<AccountRow> {
  const account = await getAccount(deps, userId, id);
  if (account.status === 'deleted') throw deletedAccount(id);
  if (account.mode === 'paper') {
    throw new HttpError(
      409,
      'paper_account',
      `exchange account ${id} is a paper account: it has no API keys`,
    );
  }
  return account;
}

function deletedAccount(id: number): HttpError {
  return new HttpError(409, 'account_deleted', `exchange account ${id} is deleted`);
}

function credentialsOf(body: { api_key: string; secret: string; password?: string }): ExchangeCredentials {
  return body.password === undefined
    ? { apiKey: body.api_key, secret: body.secret }
    : { apiKey: body.api_key, secret: body.secret, password: body.password };
}

function verificationOf(check: CredentialCheck): Verification {
  return { permissions: check.permissions, can_withdraw: check.canWithdraw };
}

/** Asks the exchange about the keys; every failure becomes a clear 4xx/503 and nothing else. */
async function checkKeys(
  deps: AccountDeps,
  exchange: string,
  mode: KeyedAccountMode,
  credentials: ExchangeCredentials,
  options: { refuseWithdrawal: boolean } = { refuseWithdrawal: true },
): Promise<CredentialCheck> {
  let check: CredentialCheck;
  try {
    check = await deps.credentials.verify(exchange, mode, credentials);
  } catch (error) {
    throw keyCheckFailure(deps, exchange, error);
  }
  if (options.refuseWithdrawal && check.canWithdraw === true) {
    throw new HttpError(
      422,
      'withdrawal_permission',
      'these API keys can withdraw funds; create keys with reading and trading only (tradeflow never withdraws)',
    );
  }
  return check;
}

function keyCheckFailure(deps: AccountDeps, exchange: string, error: unknown): HttpError {
  if (!(error instanceof CredentialCheckError)) {
    // Only the class name: a client library's message may quote the request.
    deps.log(`api: checking ${exchange} API keys failed unexpectedly: ${(error as Error)?.name ?? 'error'}`);
    return new HttpError(503, 'exchange_error', `${exchange} could not check the API keys; try again later`);
  }
  switch (error.failure) {
    case 'rejected':
      return new HttpError(422, 'credentials_rejected', error.message);
    case 'missing_credentials':
      return invalidRequest(
        {
          fieldErrors: Object.fromEntries(error.fields.map((field) => [field, [error.message]])),
          formErrors: [],
        },
        error.message,
      );
    case 'unknown_exchange':
      return invalidRequest({ fieldErrors: { exchange: [error.message] }, formErrors: [] }, error.message);
    case 'unsupported_credentials':
      return new HttpError(422, 'credentials_unsupported', error.message);
    case 'testnet_unsupported':
      return new HttpError(422, 'testnet_unsupported', error.message);
    case 'unavailable':
      return new HttpError(503, 'exchange_unavailable', error.message);
    case 'exchange_error':
      return new HttpError(503, 'exchange_error', error.message);
  }
}
