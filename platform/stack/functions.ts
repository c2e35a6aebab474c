/**
 * The Edge Functions, served by real Deno: one process per function (`functions/<name>/index.ts`)
 * started through the launcher (serve-function.ts) on a free internal port. The HTTP front
 * forwards `/functions/v1/<name>/…` to it, as Supabase's gateway does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../db/pg-cluster.ts';
import { repoPath, repoRoot } from '../paths.ts';

export interface FunctionProcess {
  name: string;
  /** Internal base URL, e.g. http://127.0.0.1:40123 (paths start with /<name>). */
  url: string;
  port: number;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface StartFunctionOptions {
  name: string;
  env: Record<string, string>;
  /** Runs the function on the replay's market clock (see serve-function.ts). */
  marketClock?: boolean;
  /** Lines the function writes (its logs), prefixed by the caller as it likes. */
  onOutput?: (line: string) => void;
  /** Deno's cold start (type-checking is off, but npm modules are loaded). Default 60 s. */
  startTimeoutMs?: number;
}

const READY = /^tradeflow-function-listening (\d+)$/;
const DENO = repoPath('node_modules', '.bin', 'deno');

export async function startFunction(options: StartFunctionOptions): Promise<FunctionProcess> {
  const port = await freePort();
  const child = spawn(
    DENO,
    ['run', '-A', '--no-prompt', 'platform/stack/serve-function.ts', `functions/${options.name}/index.ts`],
    {
      cwd: repoRoot,
      env: {
        ...options.env,
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...(process.env.DENO_DIR ? { DENO_DIR: process.env.DENO_DIR } : {}),
        NO_COLOR: '1',
        TRADEFLOW_FUNCTION_PORT: String(port),
        ...(options.marketClock ? { TRADEFLOW_MARKET_CLOCK: '1' } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches the stack, which finishes the
      // worker's request in flight before stopping Deno, instead of Deno dying mid-job.
      detached: true,
    },
  );
  // Should the stack itself die without stopping (a crash), the function goes with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const output = options.onOutput ?? (() => {});
  const recent: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const onLine = (line: string) => {
      if (READY.test(line)) return resolve();
      recent.push(line);
      if (recent.length > 20) recent.shift();
      output(line);
    };
    lines(child, 'stdout', onLine);
    lines(child, 'stderr', onLine);
    exited.then((code) =>
      reject(new Error(`function ${options.name} exited (${code}) before serving:\n${recent.join('\n')}`)),
    );
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`function ${options.name} did not start within the timeout`)),
          options.startTimeoutMs ?? 60_000,
        );
      }),
    ]);
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    name: options.name,
    url: `http://127.0.0.1:${port}`,
    port,
    exited,
    stop: () => stopChild(child, exited),
  };
}

/** SIGTERM, then SIGKILL if the process is still there after a grace period. */
async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(force);
}

function lines(child: ChildProcess, stream: 'stdout' | 'stderr', onLine: (line: string) => void): void {
  let buffer = '';
  child[stream]?.setEncoding('utf8');
  child[stream]?.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      onLine(buffer.slice(0, newline).trimEnd());
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
    }
  });
}
