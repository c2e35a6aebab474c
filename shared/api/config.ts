/**
 * The API's configuration from its environment (`Deno.env.toObject()` in the Edge Function).
 * Everything is checked before the first request: a missing master key or database URL stops
 * the function at start-up with a message naming the variable, never its value.
 */
import type { AuthConfig } from '../auth/jwt.ts';
import { loadMasterKeys, type MasterKeyring } from '../vault/index.ts';

export interface ApiConfig {
  dbUrl: string;
  /** Prepared statements on a direct connection (TRADEFLOW_DB_PREPARE=1); never through a transaction pooler. */
  dbPrepare: boolean;
  keyring: MasterKeyring;
  auth: AuthConfig;
}

export async function loadApiConfig(env: Record<string, string | undefined>): Promise<ApiConfig> {
  // The vault first: without it no API key can be stored, and its message says how to fix it.
  const keyring = await loadMasterKeys(env);
  const dbUrl = env['SUPABASE_DB_URL']?.trim();
  if (!dbUrl) throw new Error('api: SUPABASE_DB_URL is not set');
  const jwtSecret = env['SUPABASE_JWT_SECRET']?.trim() || undefined;
  const supabaseUrl = env['SUPABASE_URL']?.trim() || undefined;
  if (!jwtSecret && !supabaseUrl) {
    throw new Error('api: set SUPABASE_JWT_SECRET or SUPABASE_URL so that user tokens can be verified');
  }
  return {
    dbUrl,
    dbPrepare: env['TRADEFLOW_DB_PREPARE'] === '1',
    keyring,
    auth: { jwtSecret, supabaseUrl },
  };
}
