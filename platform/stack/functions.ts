/**
 * The Edge Functions, served by real Deno: one process per function (`functions/<name>/index.ts`)
 * started through the launcher (serve-function.ts) on a free internal port. The HTTP front
 * forwards `/functions/v1/<name>/…` to it, as Supabase's gateway does.
 *
 * Lifetime: a function process lives no longer than the stack that started it. It runs in its
 * own process group (so that a Ctrl-C in the terminal reaches the stack alone, which finishes
 * the worker's request in flight before stopping Deno), which also means nothing in the
 * terminal's signal delivery ends it when the stack dies. So its stdin is a pipe from the
 * stack that nobody writes to: when the stack's process ends, however it ends (SIGKILL, an
 * out-of-memory kill, a crash before any `exit` hook runs), the kernel closes the pipe, the
 * launcher reads end-of-file and exits. The `exit` hook below only makes the usual case faster.
 *
 * Supervision: a function process that exits while the stack is not stopping it (a crash, a
 * kill, an out-of-memory death) is started again after a short backoff, on a fresh port that the
 * front is re-pointed to (superviseFunction). Jobs it held are handed back by their leases
 * expiring, as after any worker crash.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../db/pg-cluster.ts';
import { repoPath, repoRoot } from '../paths.ts';

export interface FunctionExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface FunctionProcess {
  name: string;
  /** Internal base URL, e.g. http://127.0.0.1:40123 (paths start with /<name>). */
  url: string;
  port: number;
  /** The Deno process. */
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<FunctionExit>;
  stop(): Promise<void>;
}

export interface StartFunctionOptions {
  name: string;
  env: Record<string, string>;
  /** Runs the function on the replay's market clock (see functions/worker/index.ts). */
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
        // stdin is the lifeline to this process (see the header).
        TRADEFLOW_EXIT_WITH_PARENT: '1',
        ...(options.marketClock ? { TRADEFLOW_MARKET_CLOCK: '1' } : {}),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches the stack, which finishes the
      // worker's request in flight before stopping Deno, instead of Deno dying mid-job.
      detached: true,
    },
  );
  // Never written to; an error on it (the child gone) is no news.
  child.stdin?.on('error', () => {});
  // A stack that exits without stopping its functions takes them along at once; one killed
  // outright does too, through the stdin pipe.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const exited = new Promise<FunctionExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const output = options.onOutput ?? (() => {});
  const recent: string[] = [];
  let serving = false;
  const ready = new Promise<void>((resolve, reject) => {
    const onLine = (line: string) => {
      if (!serving && READY.test(line)) {
        serving = true;
        return resolve();
      }
      recent.push(line);
      if (recent.length > 20) recent.shift();
      output(line);
    };
    lines(child, 'stdout', onLine);
    lines(child, 'stderr', onLine);
    exited.then((exit) =>
      reject(
        new Error(
          `function ${options.name} exited (${describeExit(exit)}) before serving:\n${recent.join('\n')}`,
        ),
      ),
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
    pid: child.pid!,
    exited,
    stop: () => stopChild(child, exited),
  };
}

export interface RestartBackoff {
  /** Wait before the first restart. Default 250 ms. */
  initialMs: number;
  /** Each further consecutive failure doubles the wait, up to this. Default 5 s. */
  maxMs: number;
  /** A process that served this long before exiting counts as healthy: the wait starts over. Default 30 s. */
  healthyAfterMs: number;
}

export interface SuperviseFunctionOptions extends StartFunctionOptions {
  /** Called with each process once it serves (the first one and every restart): route to it. */
  onStart: (fn: FunctionProcess) => void;
  /** Where restarts are reported. */
  log?: (line: string) => void;
  backoff?: Partial<RestartBackoff>;
}

export interface SupervisedFunction {
  name: string;
  /** The serving process's internal base URL (a restart serves on a new port). */
  url(): string;
  /** The serving process's pid; undefined while it is being restarted. */
  pid(): number | undefined;
  /** Restarts so far. */
  restarts(): number;
  /** Stops the process and supervision (no restart follows). */
  stop(): Promise<void>;
}

const DEFAULT_BACKOFF: RestartBackoff = { initialMs: 250, maxMs: 5_000, healthyAfterMs: 30_000 };

/**
 * Starts a function and keeps it running: when its process exits unexpectedly it is started
 * again after a backoff (doubling on consecutive failures), and each restart is logged. The
 * first start's failure is thrown, as startFunction's is; later start failures are logged and
 * retried until stop().
 */
export async function superviseFunction(options: SuperviseFunctionOptions): Promise<SupervisedFunction> {
  const { onStart, log = () => {}, backoff: backoffOptions, ...startOptions } = options;
  const backoff = { ...DEFAULT_BACKOFF, ...backoffOptions };
  let current: FunctionProcess | undefined = await startFunction(startOptions);
  let startedAt = Date.now();
  let stopped = false;
  let restarts = 0;
  let failures = 0;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  onStart(current);

  const watch = (async () => {
    while (!stopped && current) {
      const exit = await current.exited;
      if (stopped) return;
      current = undefined;
      failures = Date.now() - startedAt >= backoff.healthyAfterMs ? 0 : failures;
      let reason = `exited unexpectedly (${describeExit(exit)})`;
      while (!stopped && !current) {
        const delay = Math.min(backoff.initialMs * 2 ** failures, backoff.maxMs);
        failures += 1;
        log(`function ${options.name} ${reason}; restarting in ${delay} ms`);
        await pause(delay);
        if (stopped) return;
        try {
          const started = await startFunction(startOptions);
          if (stopped) {
            await started.stop();
            return;
          }
          current = started;
          startedAt = Date.now();
          restarts += 1;
          log(`function ${options.name} restarted (pid ${started.pid}, restart ${restarts})`);
          onStart(started);
        } catch (error) {
          reason = `could not be started again (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
        }
      }
    }
  })();

  return {
    name: options.name,
    url: () => current?.url ?? '',
    pid: () => current?.pid,
    restarts: () => restarts,
    async stop() {
      stopped = true;
      wake?.();
      await current?.stop();
      current = undefined;
      await watch;
    },
  };
}

function describeExit(exit: FunctionExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/** SIGTERM, then SIGKILL if the process is still there after a grace period. */
async function stopChild(child: ChildProcess, exited: Promise<FunctionExit>): Promise<void> {
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
