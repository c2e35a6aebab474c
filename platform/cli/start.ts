/**
 * npm start — boots the local tradeflow platform: the embedded database (or DATABASE_URL),
 * migrations, seed, the schedules where pg_cron is absent, and prints the platform's state.
 *
 *   --reset        start from an empty embedded database
 *   --data-dir D   where the embedded database lives (default .tradeflow/pgdata)
 *   --db-port P    wire port of the embedded database (default 54322)
 *   --once         print the state as JSON and exit
 */
import { parseArgs } from 'node:util';
import { openPlatformDatabase } from '../db/embedded.ts';
import { startSchedules } from '../scheduler.ts';
import { formatStatus, platformStatus } from '../status.ts';

const { values } = parseArgs({
  options: {
    reset: { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    'db-port': { type: 'string', default: '54322' },
    once: { type: 'boolean', default: false },
  },
});

const port = Number(values['db-port']);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--db-port must be a port number, got ${values['db-port']}`);
  process.exit(2);
}

const database = await openPlatformDatabase({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: values['data-dir'],
  reset: values.reset,
  wirePort: values.once ? null : port,
});
const runner = await startSchedules(database.db, (name, error) =>
  console.error(`schedule ${name} failed: ${error instanceof Error ? error.message : String(error)}`),
);
const status = await platformStatus(
  database.db,
  { kind: database.kind, url: database.url, appliedNow: database.migration.applied.length },
  runner,
);

if (values.once) {
  console.log(JSON.stringify(status));
  runner.stop();
  await database.close();
} else {
  console.log(`tradeflow local platform\n${formatStatus(status)}\n\nCtrl-C stops.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    runner.stop();
    await database.close();
    console.log('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
