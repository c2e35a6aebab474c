/**
 * The worker's job handlers, one per job kind, over injected dependencies. Each is idempotent:
 * the queue delivers at least once, so every handler re-reads the state it acts on and does
 * nothing that has already been done.
 *
 *   analyse        {signal_id}          new → analyzing → monitoring | rejected
 *   monitor        {} (cron)            monitoring → ready | expired | rejected, snapshots
 *   execute        {signal_id}          ready → entry order (risk-checked) → in_position on fill
 *   protect        {signal_id, order_id} stop-loss + take-profit as one OCO group
 *   sync           {} (cron) / {account_id}  orders, fills, positions, emulated legs
 *   risk           {} (cron)            mark to market, loss limits, alerts
 *   market_data    {} (cron)            candles for the symbols in use
 *   emergency_stop {owner}              cancel everything, close at market
 */
import type { Job } from '../queue/queue-client.ts';
import type { JobHandler } from '../worker/drain.ts';
import { analyseSignal } from './analyse.ts';
import { type PipelineDeps, resolvePipeline } from './deps.ts';
import { emergencyStop } from './emergency-stop.ts';
import { executeSignal } from './execute.ts';
import { ingestMarketData } from './market-data.ts';
import { monitorSignals } from './monitor.ts';
import { protectSignal } from './protect.ts';
import { riskSweep } from './risk-sweep.ts';
import { syncAccounts } from './sync.ts';

export type { PipelineDeps } from './deps.ts';

export const JOB_KINDS = [
  'analyse',
  'monitor',
  'execute',
  'protect',
  'sync',
  'risk',
  'market_data',
  'emergency_stop',
] as const;

export type JobKind = (typeof JOB_KINDS)[number];

export function createHandlers(deps: PipelineDeps): Record<JobKind, JobHandler> {
  const pipeline = resolvePipeline(deps);
  return {
    analyse: (job, { db }) => analyseSignal(pipeline, db, job),
    monitor: async (_job, { db }) => {
      await monitorSignals(pipeline, db);
    },
    execute: async (job, { db }) => {
      await executeSignal(pipeline, db, idOf(job, 'signal_id'));
    },
    protect: async (job, { db }) => {
      await protectSignal(pipeline, db, idOf(job, 'signal_id'));
    },
    sync: async (job, { db }) => {
      const only = job.payload['account_id'];
      await syncAccounts(pipeline, db, typeof only === 'number' ? only : undefined);
    },
    risk: async (_job, { db }) => {
      await riskSweep(pipeline, db);
    },
    market_data: async (_job, { db }) => {
      await ingestMarketData(pipeline, db);
    },
    emergency_stop: async (job, { db }) => {
      const owner = job.payload['owner'];
      if (typeof owner !== 'string')
        throw new Error(`emergency_stop job ${job.id}: payload.owner is missing`);
      await emergencyStop(pipeline, db, owner);
    },
  };
}

function idOf(job: Job, key: string): number {
  const value = Number(job.payload[key]);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`${job.kind} job ${job.id}: payload.${key} is missing`);
  return value;
}
