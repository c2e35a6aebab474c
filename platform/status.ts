/** What the platform prints about itself: schema version, queue health, schedules. */
import type { SqlClient } from '../shared/db/sql.ts';
import { type QueueHealth, queueHealth } from '../shared/queue/queue-client.ts';
import { schemaVersion } from './db/migrate.ts';
import type { ScheduleRunner } from './scheduler.ts';

export interface PlatformStatus {
  database: { kind: string; url: string | null; server: string };
  schema: { version: string | null; name: string | null; migrations: number; appliedNow: number };
  queue: QueueHealth[];
  schedules: { name: string; schedule: string; runBy: string; description: string }[];
}

export async function platformStatus(
  db: SqlClient,
  database: { kind: string; url: string | null; appliedNow: number },
  runner: ScheduleRunner,
): Promise<PlatformStatus> {
  const version = await schemaVersion(db);
  const [counts] = await db.query<{ migrations: number; server: string }>(
    `select (select count(*)::int from supabase_migrations.schema_migrations) as migrations,
            current_setting('server_version') as server`,
  );
  return {
    database: { kind: database.kind, url: database.url, server: `PostgreSQL ${counts!.server}` },
    schema: {
      version: version?.version ?? null,
      name: version?.name ?? null,
      migrations: counts!.migrations,
      appliedNow: database.appliedNow,
    },
    queue: await queueHealth(db),
    schedules: runner.schedules.map((s) => ({
      name: s.name,
      schedule: s.schedule,
      runBy: runner.runBy,
      description: s.description,
    })),
  };
}

export function formatStatus(status: PlatformStatus): string {
  const lines = [
    `database   ${status.database.kind} (${status.database.server})${status.database.url ? ` at ${status.database.url}` : ''}`,
    `schema     ${status.schema.version ?? 'none'} ${status.schema.name ?? ''} — ${status.schema.migrations} migrations (${status.schema.appliedNow} applied now)`,
    'queue      ' +
      (status.queue.length === 0
        ? 'empty'
        : status.queue
            .map(
              (q) =>
                `${q.kind}: ${q.due} due, ${q.scheduled} scheduled, ${q.running} running, ${q.dead} dead`,
            )
            .join('\n           ')),
    'schedules  ' +
      status.schedules
        .map((s) => `${s.name.padEnd(17)} ${s.schedule.padEnd(12)} ${s.runBy}`)
        .join('\n           '),
  ];
  return lines.join('\n');
}
