/**
 * npm run db:migrate -- --db-url <postgres url>
 * Applies the platform pieces (unless the target is Supabase) and every migration, idempotently.
 */
import { parseArgs } from 'node:util';
import { connectPostgres } from '../../shared/db/postgres-client.ts';
import { migrate } from '../db/migrate.ts';

const { values } = parseArgs({ options: { 'db-url': { type: 'string' } } });
const url = values['db-url'] ?? process.env.DATABASE_URL;
if (!url) {
  console.error(
    'usage: npm run db:migrate -- --db-url postgres://user@host:port/database (or set DATABASE_URL)',
  );
  process.exit(2);
}

const db = connectPostgres(url, { max: 1, applicationName: 'tradeflow-migrate' });
try {
  const result = await migrate(db);
  console.log(
    JSON.stringify({
      platform: result.platformApplied ? 'applied' : 'supabase (skipped)',
      applied: result.applied,
      alreadyApplied: result.alreadyApplied.length,
    }),
  );
} catch (error) {
  console.error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
