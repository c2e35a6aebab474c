/**
 * SQL for exchange accounts. Two kinds of statements, kept apart by name:
 * - `…AsUser` statements run inside `asUser` (role `authenticated`, RLS on): they can see only
 *   the caller's rows and only the non-secret columns;
 * - `…AsService` statements run as the API's own database role, for what the `authenticated`
 *   role may not do (credential columns, status). Each is called only after an `…AsUser` read
 *   has shown the row belongs to the caller, and each still names `owner` in its `where`.
 */
import type { SqlQueryable } from '../../db/sql.ts';
import type { KeyPermission } from '../../exchange/credentials.ts';
import type { SealedCredentials } from './sealed-credentials.ts';

export type AccountMode = 'paper' | 'testnet' | 'live';
export type AccountStatus = 'active' | 'disabled' | 'deleted';

/** An account as the API shows it: no credential column, only the masked key suffix. */
export interface AccountRow {
  id: number;
  exchange: string;
  mode: AccountMode;
  label: string;
  key_suffix: string | null;
  permissions: KeyPermission[];
  status: AccountStatus;
  max_order_notional: string | null;
  last_verified_at: Date | null;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export const PUBLIC_COLUMNS = `id, exchange, mode, label, key_suffix, permissions, status, max_order_notional,
  last_verified_at, deleted_at, created_at, updated_at`;

export interface StoredCredentials {
  api_key_ciphertext: string;
  api_secret_ciphertext: string;
  api_password_ciphertext: string | null;
}

export async function listAccountsAsUser(tx: SqlQueryable, includeDeleted: boolean): Promise<AccountRow[]> {
  return tx.query<AccountRow>(
    `select ${PUBLIC_COLUMNS} from public.exchange_accounts
      where $1 or status <> 'deleted'
      order by id`,
    [includeDeleted],
  );
}

export async function findAccountAsUser(tx: SqlQueryable, id: number): Promise<AccountRow | undefined> {
  const rows = await tx.query<AccountRow>(
    `select ${PUBLIC_COLUMNS} from public.exchange_accounts where id = $1`,
    [id],
  );
  return rows[0];
}

export async function insertPaperAccountAsUser(
  tx: SqlQueryable,
  fields: { exchange: string; label: string | undefined; maxOrderNotional: string | undefined },
): Promise<AccountRow> {
  const rows = await tx.query<AccountRow>(
    `insert into public.exchange_accounts (exchange, mode, label, max_order_notional)
     values ($1, 'paper', coalesce($2, 'Paper account'), $3::numeric)
     returning ${PUBLIC_COLUMNS}`,
    [fields.exchange, fields.label ?? null, fields.maxOrderNotional ?? null],
  );
  return rows[0]!;
}

/** Label and limit are the only columns a user may change; deleted accounts stay as they were. */
export async function updateSettingsAsUser(
  tx: SqlQueryable,
  id: number,
  fields: { label?: string; maxOrderNotional?: string | null },
): Promise<AccountRow | undefined> {
  const rows = await tx.query<AccountRow>(
    `update public.exchange_accounts
        set label = case when $2 then $3 else label end,
            max_order_notional = case when $4 then $5::numeric else max_order_notional end
      where id = $1 and status <> 'deleted'
      returning ${PUBLIC_COLUMNS}`,
    [
      id,
      fields.label !== undefined,
      fields.label ?? null,
      fields.maxOrderNotional !== undefined,
      fields.maxOrderNotional ?? null,
    ],
  );
  return rows[0];
}

/**
 * The id the next account will get. The ciphertext's authenticated data names the account id,
 * and the table refuses a testnet/live row without ciphertext, so the id is drawn first and
 * the row is inserted complete, in the same transaction.
 */
export async function reserveAccountIdAsService(tx: SqlQueryable): Promise<number> {
  const rows = await tx.query<{ id: number }>(
    `select nextval(pg_get_serial_sequence('public.exchange_accounts', 'id')) as id`,
  );
  return Number(rows[0]!.id);
}

/** The user's HKDF salt: the one their accounts already use, so there is one key per user. */
export async function userSaltAsService(tx: SqlQueryable, owner: string): Promise<string | undefined> {
  const rows = await tx.query<{ key_salt: string }>(
    `select key_salt from public.exchange_accounts
      where owner = $1 and key_salt is not null
      order by id limit 1`,
    [owner],
  );
  return rows[0]?.key_salt;
}

export async function insertKeyedAccountAsService(
  tx: SqlQueryable,
  row: {
    id: number;
    owner: string;
    exchange: string;
    mode: 'testnet' | 'live';
    label: string | undefined;
    maxOrderNotional: string | undefined;
    sealed: SealedCredentials;
    permissions: KeyPermission[];
  },
): Promise<AccountRow> {
  const rows = await tx.query<AccountRow>(
    `insert into public.exchange_accounts
       (id, owner, exchange, mode, label, max_order_notional, api_key_ciphertext, api_secret_ciphertext,
        api_password_ciphertext, key_salt, key_version, key_suffix, permissions, last_verified_at)
     overriding system value
     values ($1, $2, $3, $4, coalesce($5, initcap($3) || case when $4 = 'testnet' then ' testnet' else '' end),
             $6::numeric, $7, $8, $9, $10, $11, $12, $13::text[], now())
     returning ${PUBLIC_COLUMNS}`,
    [
      row.id,
      row.owner,
      row.exchange,
      row.mode,
      row.label ?? null,
      row.maxOrderNotional ?? null,
      row.sealed.apiKey,
      row.sealed.secret,
      row.sealed.password,
      row.sealed.salt,
      row.sealed.keyVersion,
      row.sealed.keySuffix,
      row.permissions,
    ],
  );
  return rows[0]!;
}

/** New keys for an account: ciphertext, what they may do, and the account active again. */
export async function replaceCredentialsAsService(
  tx: SqlQueryable,
  id: number,
  owner: string,
  sealed: SealedCredentials,
  permissions: KeyPermission[],
): Promise<AccountRow | undefined> {
  const rows = await tx.query<AccountRow>(
    `update public.exchange_accounts
        set api_key_ciphertext = $3, api_secret_ciphertext = $4, api_password_ciphertext = $5,
            key_salt = $6, key_version = $7, key_suffix = $8, permissions = $9::text[],
            last_verified_at = now(), status = 'active'
      where id = $1 and owner = $2 and status <> 'deleted'
      returning ${PUBLIC_COLUMNS}`,
    [
      id,
      owner,
      sealed.apiKey,
      sealed.secret,
      sealed.password,
      sealed.salt,
      sealed.keyVersion,
      sealed.keySuffix,
      permissions,
    ],
  );
  return rows[0];
}

export async function readCredentialsAsService(
  tx: SqlQueryable,
  id: number,
  owner: string,
): Promise<StoredCredentials | undefined> {
  const rows = await tx.query<StoredCredentials>(
    `select api_key_ciphertext, api_secret_ciphertext, api_password_ciphertext
       from public.exchange_accounts
      where id = $1 and owner = $2 and api_key_ciphertext is not null`,
    [id, owner],
  );
  return rows[0];
}

/**
 * The result of re-checking stored keys. `disable` takes the account out of trading (keys that
 * can now withdraw); otherwise its status is left as it is.
 */
export async function recordVerificationAsService(
  tx: SqlQueryable,
  id: number,
  owner: string,
  permissions: KeyPermission[],
  disable: boolean,
): Promise<AccountRow | undefined> {
  const rows = await tx.query<AccountRow>(
    `update public.exchange_accounts
        set permissions = $3::text[], last_verified_at = now(),
            status = case when $4 then 'disabled' else status end
      where id = $1 and owner = $2 and status <> 'deleted'
      returning ${PUBLIC_COLUMNS}`,
    [id, owner, permissions, disable],
  );
  return rows[0];
}

/** Soft delete: the row (and every order, fill and audit row pointing at it) stays. */
export async function markDeletedAsService(
  tx: SqlQueryable,
  id: number,
  owner: string,
): Promise<AccountRow | undefined> {
  const rows = await tx.query<AccountRow>(
    `update public.exchange_accounts
        set status = 'deleted', deleted_at = now()
      where id = $1 and owner = $2 and status <> 'deleted'
      returning ${PUBLIC_COLUMNS}`,
    [id, owner],
  );
  return rows[0];
}
