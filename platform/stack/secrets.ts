/**
 * The local stack's secrets: the JWT secret user tokens are signed with, the worker key, the
 * vault's master key. Generated once and kept in `.tradeflow/secrets.json` (mode 0600, ignored
 * by git) — the master key must survive restarts, or credentials stored in the embedded
 * database could no longer be decrypted.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';

export interface LocalSecrets {
  jwtSecret: string;
  workerKey: string;
  /** 32 random bytes, base64 (TRADEFLOW_MASTER_KEY). */
  masterKey: string;
}

export function loadOrCreateSecrets(stateDir: string): LocalSecrets {
  const path = join(stateDir, 'secrets.json');
  if (existsSync(path)) {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<LocalSecrets>;
    if (stored.jwtSecret && stored.workerKey && stored.masterKey) return stored as LocalSecrets;
  }
  const secrets: LocalSecrets = {
    jwtSecret: randomBytes(32).toString('base64url'),
    workerKey: randomBytes(32).toString('base64url'),
    masterKey: randomBytes(32).toString('base64'),
  };
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return secrets;
}

/** The project's anon key as Supabase shapes it: a JWT with role anon, signed with the secret. */
export async function signAnonKey(jwtSecret: string): Promise<string> {
  const issuedAt = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'anon', iss: 'tradeflow-local' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + 10 * 365 * 86_400)
    .sign(new TextEncoder().encode(jwtSecret));
}
