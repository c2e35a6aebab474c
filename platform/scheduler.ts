/**
 * Runs the rows of queue.schedules where pg_cron is not usable (PGlite, a server without
 * pg_cron): the same SQL commands, on the same cron expressions, in UTC.
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

export async function startSchedules(
  db: SqlClient,
  onError: (name: string, error: unknown) => void = () => {},
): Promise<ScheduleRunner> {
  const schedules = await db.query<Schedule>(
    'select name, schedule, command, description from queue.schedules order by name',
  );
  const [row] = await db.query<{ usable: boolean }>('select queue.pg_cron_usable() as usable');
  if (row?.usable) return { runBy: 'pg_cron', schedules, stop: () => {} };

  const jobs = schedules.map(
    (schedule) =>
      new Cron(
        schedule.schedule,
        { timezone: 'UTC', protect: true, name: `tradeflow_${schedule.name}` },
        async () => {
          try {
            await db.query(schedule.command);
          } catch (error) {
            onError(schedule.name, error);
          }
        },
      ),
  );
  return {
    runBy: 'local scheduler',
    schedules,
    stop: () => {
      for (const job of jobs) job.stop();
    },
  };
}
