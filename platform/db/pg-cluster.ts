/**
 * A throwaway PostgreSQL 15 cluster for tests and benchmarks: initdb into a temporary
 * directory, start on a free loopback port with pg_cron preloaded, remove on stop.
 *
 * Uses Debian's binaries (postgresql-15, postgresql-15-cron, postgresql-15-pgtap, and
 * pg_prove from libtap-parser-sourcehandler-pgtap-perl). When they are missing they are
 * installed if we run as root; otherwise it fails with a message naming the packages.
 * initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` user on a
 * directory it owns.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_BIN = '/usr/lib/postgresql/15/bin';
export const REQUIRED_PACKAGES = [
  'postgresql-15',
  'postgresql-15-cron',
  'postgresql-15-pgtap',
  'libtap-parser-sourcehandler-pgtap-perl',
];

export interface PgCluster {
  port: number;
  dataDir: string;
  /** The database whose name pg_cron runs in (`cron.database_name`). */
  cronDatabase: string;
  url(database?: string): string;
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  /** Database created at start, where pg_cron runs (default `tradeflow`). */
  cronDatabase?: string;
  /** Keep PostgreSQL's durability settings (fsync, synchronous commit). Tests turn them off. */
  durable?: boolean;
  log?: (line: string) => void;
}

function missingPieces(): string[] {
  const missing: string[] = [];
  if (!existsSync(join(PG_BIN, 'initdb'))) missing.push('postgresql-15');
  if (!existsSync('/usr/lib/postgresql/15/lib/pg_cron.so')) missing.push('postgresql-15-cron');
  if (!existsSync('/usr/share/postgresql/15/extension/pgtap.control')) missing.push('postgresql-15-pgtap');
  if (spawnSync('sh', ['-c', 'command -v pg_prove']).status !== 0) {
    missing.push('libtap-parser-sourcehandler-pgtap-perl');
  }
  return missing;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Installs the Debian packages the real-PostgreSQL tests need, or explains how to. */
export function ensurePostgresBinaries(log: (line: string) => void = () => {}): void {
  const missing = missingPieces();
  if (missing.length === 0) return;
  if (!isRoot()) {
    throw new Error(
      `PostgreSQL 15 test binaries are missing (${missing.join(', ')}). Install them with: ` +
        `sudo apt-get update && sudo apt-get install -y ${REQUIRED_PACKAGES.join(' ')}`,
    );
  }
  log(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...REQUIRED_PACKAGES], { stdio: 'ignore', env });
  const stillMissing = missingPieces();
  if (stillMissing.length > 0) throw new Error(`apt-get did not provide: ${stillMissing.join(', ')}`);
}

/** Runs a PostgreSQL binary, as the postgres user when we are root. */
function runPg(binary: string, args: string[]): void {
  const command = join(PG_BIN, binary);
  const result = isRoot()
    ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8' })
    : spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${binary} failed (exit ${result.status}): ${result.stderr || result.stdout}`);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function startThrowawayCluster(options: StartClusterOptions = {}): Promise<PgCluster> {
  const log = options.log ?? (() => {});
  const cronDatabase = options.cronDatabase ?? 'tradeflow';
  ensurePostgresBinaries(log);

  const dataDir = mkdtempSync(join(tmpdir(), 'tradeflow-pg-'));
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dataDir, uid, gid);
  }
  chmodSync(dataDir, 0o700);
  const pgdata = join(dataDir, 'data');
  runPg('initdb', ['-D', pgdata, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);

  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-c listen_addresses=127.0.0.1`,
    `-c unix_socket_directories=${dataDir}`,
    `-c max_connections=200`,
    `-c shared_preload_libraries=pg_cron`,
    `-c cron.database_name=${cronDatabase}`,
    `-c cron.use_background_workers=on`,
    `-c max_worker_processes=32`,
    ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
  ];
  runPg('pg_ctl', [
    '-D',
    pgdata,
    '-l',
    join(dataDir, 'server.log'),
    '-o',
    settings.join(' '),
    '-w',
    '-t',
    '60',
    'start',
  ]);
  log(`PostgreSQL 15 started on 127.0.0.1:${port} (${pgdata})`);

  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  execFileSync('psql', [url(), '-qAtc', `create database ${cronDatabase}`], { stdio: 'pipe' });

  let stopped = false;
  return {
    port,
    dataDir,
    cronDatabase,
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        runPg('pg_ctl', ['-D', pgdata, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
