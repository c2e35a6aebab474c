/**
 * npm run bench [-- name ...] — runs the named benchmarks (all by default) and prints one
 * JSON object per line. Real-PostgreSQL benchmarks share one throwaway cluster.
 */
import { startThrowawayCluster } from '../platform/db/pg-cluster.ts';
import { benchExchange } from './exchange.ts';
import { benchPipeline } from './pipeline.ts';
import { benchPipelineThroughput } from './pipeline-throughput.ts';
import { benchQueue } from './queue.ts';

const BENCHMARKS = {
  queue: benchQueue,
  exchange: benchExchange,
  pipeline: benchPipeline,
  'pipeline-throughput': benchPipelineThroughput,
} as const;
type Name = keyof typeof BENCHMARKS;

const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = requested.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(BENCHMARKS).join(', ')}`,
  );
  process.exit(2);
}
const names = (requested.length > 0 ? requested : Object.keys(BENCHMARKS)) as Name[];

const cluster = await startThrowawayCluster({ durable: true, log: (line) => console.error(line) });
try {
  for (const name of names) await BENCHMARKS[name](cluster);
} finally {
  await cluster.stop();
}
