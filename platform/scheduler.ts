/**
 * Runs the rows of queue.schedules where pg_cron is not usable (PGlite, a server without
 * pg_cron): the same SQL commands, on the same cron expressions, in UTC. Off Supabase it also
 * prunes the local realtime.messages table (Supabase drops old partitions itself).
 */
import { Cron } from 'croner';
import type { SqlClient } from '../shared/db/sql.ts';

export interface Schedule {
  name: string;
  schedule: string;
  command: string;
  description: string;
}

export interface ScheduleRunner {
  runBy: 'pg_cron' | 'local scheduler';
  schedules: Schedule[];
  stop(): void;
}

type OnError = (name: string, error: unknown) => void;

/** Messages are only a delivery channel to Realtime subscribers, not a record. */
export async function pruneRealtimeMessages(db: SqlClient, olderThanMinutes = 60): Promise<number> {
  const rows = await db.query(
    'delete from realtime.messages where inserted_at < now() - make_interval(mins => $1) returning 1',
    [olderThanMinutes],
  );
  return rows.length;
}

function every(name: string, pattern: string, run: () => Promise<unknown>, onError: OnError): Cron {
  return new Cron(pattern, { timezone: 'UTC', protect: true, name: `tradeflow_${name}` }, async () => {
    try {
      await run();
    } catch (error) {
      onError(name, error);
    }
  });
}

export async function startSchedules(db: SqlClient, onError: OnError = () => {}): Promise<ScheduleRunner> {
  const schedules = await db.query<Schedule>(
    'select name, schedule, command, description from queue.schedules order by name',
  );
  const [row] = await db.query<{ usable: boolean; supabase: boolean }>(
    `select queue.pg_cron_usable() as usable,
            exists (select 1 from pg_catalog.pg_roles where rolname = 'supabase_admin') as supabase`,
  );
  const jobs: Cron[] = [];
  if (!row?.supabase)
    jobs.push(every('realtime_prune', '*/10 * * * *', () => pruneRealtimeMessages(db), onError));
  const stop = () => {
    for (const job of jobs) job.stop();
  };
  if (row?.usable) return { runBy: 'pg_cron', schedules, stop };

  for (const schedule of schedules) {
    jobs.push(every(schedule.name, schedule.schedule, () => db.query(schedule.command), onError));
  }
  return { runBy: 'local scheduler', schedules, stop };
}
