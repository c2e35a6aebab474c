/**
 * Drains the job queue within a time budget: claim a bounded batch of the kinds this worker
 * has handlers for, run each, complete or fail it, repeat until the queue is empty or the
 * budget is spent. Edge Functions get 150 s of wall clock (400 s paid) and 2 s of CPU per
 * request, so the budget is far below that and a batch is small. Handlers are idempotent:
 * a job can run again after a crash (at-least-once delivery).
 */
import type { SqlClient } from '../db/sql.ts';
import { claimJobs, completeJob, failJob, type Job } from '../queue/queue-client.ts';

export interface HandlerContext {
  db: SqlClient;
  /** Milliseconds since the epoch, from the injected clock. */
  now: () => number;
}

export type JobHandler = (job: Job, context: HandlerContext) => Promise<void>;

/** A handler may throw this to ask for a specific retry delay (e.g. a rate limit's Retry-After). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly retryInSeconds: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

export interface DrainOptions {
  worker: string;
  handlers: Record<string, JobHandler>;
  /** Stop claiming new batches after this many milliseconds. */
  budgetMs: number;
  batchSize?: number;
  leaseSeconds?: number;
  now?: () => number;
}

export interface DrainReport {
  claimed: number;
  completed: number;
  retried: number;
  dead: number;
  leaseLost: number;
  elapsedMs: number;
}

export async function drainJobs(db: SqlClient, options: DrainOptions): Promise<DrainReport> {
  const now = options.now ?? Date.now;
  const started = now();
  const kinds = Object.keys(options.handlers);
  const report: DrainReport = { claimed: 0, completed: 0, retried: 0, dead: 0, leaseLost: 0, elapsedMs: 0 };
  if (kinds.length === 0) return report;

  while (now() - started < options.budgetMs) {
    const jobs = await claimJobs(db, {
      worker: options.worker,
      maxJobs: options.batchSize ?? 10,
      leaseSeconds: options.leaseSeconds ?? 60,
      kinds,
    });
    if (jobs.length === 0) break;
    report.claimed += jobs.length;
    for (const job of jobs) {
      await runOne(db, job, options.handlers[job.kind]!, { db, now }, report);
    }
  }
  report.elapsedMs = now() - started;
  return report;
}

async function runOne(
  db: SqlClient,
  job: Job,
  handler: JobHandler,
  context: HandlerContext,
  report: DrainReport,
): Promise<void> {
  try {
    await handler(job, context);
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const retryIn = error instanceof RetryLater ? error.retryInSeconds : undefined;
    const status = await failJob(db, job, message, retryIn);
    if (status === 'dead') report.dead++;
    else if (status === 'queued') report.retried++;
    else report.leaseLost++;
    return;
  }
  if (await completeJob(db, job)) report.completed++;
  else report.leaseLost++;
}
