/**
 * npm run vault:rotate [-- --db-url <postgres url>] [--batch-size <n>]
 *
 * Re-encrypts every exchange account's credentials that are not yet under the current master
 * key version (step 2 of the rotation procedure in shared/vault/index.ts). The environment holds
 * the keys as the functions see them: TRADEFLOW_MASTER_KEY (+ _VERSION) is the new key, and
 * TRADEFLOW_MASTER_KEY_PREVIOUS the old ones, which must still decrypt.
 *
 * No downtime: rows are rewritten one by one, each in its own short statement, and every row
 * under the old version keeps decrypting while the command runs (the functions hold both keys).
 * Each update is a compare-and-set on the ciphertext it read, so a user who rotates their API
 * keys meanwhile wins, and that row is reported as `changedConcurrently` (already under the new
 * version, since the functions encrypt with the current key). Running it again is harmless.
 *
 * Prints a JSON summary; exits 1 when a row could not be re-encrypted (it names the row and the
 * vault's reason, never a secret). When `remainingOldVersions` is empty, the old key can be
 * removed from TRADEFLOW_MASTER_KEY_PREVIOUS.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { connectPostgres } from '../../shared/db/postgres-client.ts';
import type { SqlClient } from '../../shared/db/sql.ts';
import {
  loadMasterKeys,
  type MasterKeyring,
  needsRotation,
  reencrypt,
  serializeEnvelope,
  VaultError,
} from '../../shared/vault/index.ts';

export interface RotationSummary {
  currentVersion: number;
  /** Rows with credentials that were looked at. */
  examined: number;
  rotated: number;
  alreadyCurrent: number;
  /** Rows whose credentials changed between read and write (left as the writer left them). */
  changedConcurrently: number;
  failed: { accountId: number; reason: string }[];
  /** Key versions still referenced by some row after the run, other than the current one. */
  remainingOldVersions: number[];
}

interface CredentialRow {
  id: number;
  owner: string;
  api_key_ciphertext: string;
  api_secret_ciphertext: string;
  api_password_ciphertext: string | null;
}

export async function rotateExchangeCredentials(
  db: SqlClient,
  keyring: MasterKeyring,
  options: { batchSize?: number } = {},
): Promise<RotationSummary> {
  const batchSize = options.batchSize ?? 100;
  const summary: RotationSummary = {
    currentVersion: keyring.currentVersion,
    examined: 0,
    rotated: 0,
    alreadyCurrent: 0,
    changedConcurrently: 0,
    failed: [],
    remainingOldVersions: [],
  };
  let afterId = 0;
  for (;;) {
    // Keyset pages by id; deleted accounts too, or the old key could never be removed.
    const rows = await db.query<CredentialRow>(
      `select id, owner, api_key_ciphertext, api_secret_ciphertext, api_password_ciphertext
         from public.exchange_accounts
        where id > $1 and api_key_ciphertext is not null
        order by id
        limit $2`,
      [afterId, batchSize],
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      afterId = row.id;
      summary.examined += 1;
      const outcome = await rotateRow(db, keyring, row);
      if (outcome === 'rotated') summary.rotated += 1;
      else if (outcome === 'current') summary.alreadyCurrent += 1;
      else if (outcome === 'changed') summary.changedConcurrently += 1;
      else summary.failed.push({ accountId: row.id, reason: outcome.reason });
    }
  }
  const remaining = await db.query<{ key_version: number }>(
    `select distinct key_version from public.exchange_accounts
      where api_key_ciphertext is not null and key_version <> $1
      order by key_version`,
    [keyring.currentVersion],
  );
  summary.remainingOldVersions = remaining.map((row) => row.key_version);
  return summary;
}

async function rotateRow(
  db: SqlClient,
  keyring: MasterKeyring,
  row: CredentialRow,
): Promise<'rotated' | 'current' | 'changed' | { reason: string }> {
  const envelopes = [row.api_key_ciphertext, row.api_secret_ciphertext, row.api_password_ciphertext];
  const context = { userId: row.owner, accountId: String(row.id) };
  let next: (string | null)[];
  try {
    if (!envelopes.some((envelope) => envelope !== null && needsRotation(envelope, keyring)))
      return 'current';
    next = await Promise.all(
      envelopes.map(async (envelope) =>
        envelope === null ? null : serializeEnvelope(await reencrypt(envelope, keyring, keyring, context)),
      ),
    );
  } catch (error) {
    if (error instanceof VaultError) return { reason: `${error.code}: ${error.message}` };
    throw error;
  }
  const updated = await db.query(
    `update public.exchange_accounts
        set api_key_ciphertext = $5, api_secret_ciphertext = $6, api_password_ciphertext = $7, key_version = $8
      where id = $1 and api_key_ciphertext = $2 and api_secret_ciphertext = $3
        and api_password_ciphertext is not distinct from $4
      returning id`,
    [row.id, ...envelopes, ...next, keyring.currentVersion],
  );
  return updated.length === 1 ? 'rotated' : 'changed';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'db-url': { type: 'string' }, 'batch-size': { type: 'string' } },
  });
  const url = values['db-url'] ?? process.env.DATABASE_URL;
  if (!url) {
    console.error(
      'usage: npm run vault:rotate -- --db-url postgres://user@host:port/database (or set DATABASE_URL)',
    );
    process.exit(2);
  }
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) {
    console.error('vault:rotate: --batch-size must be a positive whole number');
    process.exit(2);
  }
  let keyring: MasterKeyring;
  try {
    keyring = await loadMasterKeys(process.env);
  } catch (error) {
    console.error(`vault:rotate: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
  const db = connectPostgres(url, { max: 1, applicationName: 'tradeflow-vault-rotate' });
  try {
    const summary = await rotateExchangeCredentials(db, keyring, { batchSize });
    console.log(JSON.stringify(summary));
    if (summary.failed.length > 0) process.exitCode = 1;
  } catch (error) {
    console.error(`vault:rotate failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    await db.close();
  }
}

// Run as a command; imported (by tests) it only provides `rotateExchangeCredentials`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
