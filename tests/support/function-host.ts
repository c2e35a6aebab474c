/**
 * A stand-in for the local stack's Node process, for tests of a function process's lifetime:
 * starts one Edge Function (FUNCTION_NAME, default `api`) with startFunction, prints
 * `function-pid <pid>` once it serves, and stays up until it is killed.
 *
 * The api function starts without a reachable database (its client connects on first use), so
 * this needs nothing but the master key and JWT secret it checks at start-up.
 */
import { startFunction } from '../../platform/stack/functions.ts';

const fn = await startFunction({
  name: process.env.FUNCTION_NAME ?? 'api',
  env: {
    SUPABASE_DB_URL: 'postgres://postgres@127.0.0.1:9/unused',
    SUPABASE_JWT_SECRET: 'function-host-jwt-secret-function-host',
    TRADEFLOW_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
  },
});
process.stdout.write(`function-pid ${fn.pid}\n`);
setInterval(() => {}, 60_000);
