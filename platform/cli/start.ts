/**
 * npm start — the local tradeflow stack and a paper-trading session on the replayed market
 * (platform/stack). Flags: see `npm start -- --help`.
 *
 *   --once   only boots the database (migrations, seed, schedules) and prints the platform's
 *            state as JSON, then exits (what CI and health checks use).
 *
 * With --exit-when-done the last line on stdout is the session summary as one JSON object;
 * progress goes to stderr-free stdout lines only when stdout is a terminal, otherwise to
 * plain lines on stderr, so that stdout stays machine-readable.
 */
import { openPlatformDatabase } from '../db/embedded.ts';
import { startSchedules } from '../scheduler.ts';
import { type Stack, startStack } from '../stack/index.ts';
import { DEFAULT_DB_PORT, parseStackArgs, type StackOptions } from '../stack/options.ts';
import { createProgressView, formatSnapshot, type SessionSnapshot } from '../stack/progress.ts';
import { platformStatus } from '../status.ts';

let parsed: ReturnType<typeof parseStackArgs>;
try {
  parsed = parseStackArgs(process.argv.slice(2), process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

if (parsed.once) await once(parsed.stack);
else await session(parsed.stack);

/** The platform's state as JSON, without starting anything that keeps running. */
async function once(options: StackOptions): Promise<void> {
  const database = await openPlatformDatabase({
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir,
    reset: options.reset,
    wirePort: null,
  });
  const runner = await startSchedules(database.db);
  const status = await platformStatus(
    database.db,
    { kind: database.kind, url: database.url, appliedNow: database.migration.applied.length },
    runner,
  );
  console.log(JSON.stringify(status));
  runner.stop();
  await database.close();
}

async function session(options: StackOptions): Promise<void> {
  const tty = process.stdout.isTTY === true;
  // Progress on the terminal; when stdout is piped, stdout carries only the summary.
  const out = (text: string) => (tty ? process.stdout.write(text) : process.stderr.write(text));
  const view = createProgressView(out, tty);
  const log = (line: string) => {
    view.release();
    out(`${line}\n`);
  };
  let stack: Stack;
  try {
    stack = await startStack({ ...options, dbPort: options.dbPort ?? DEFAULT_DB_PORT, log });
  } catch (error) {
    console.error(`npm start: ${(error as Error).message}`);
    process.exit(1);
  }
  log(banner(stack, options));

  let last: SessionSnapshot | undefined;
  let drawing = false;
  const draw = async () => {
    if (drawing) return;
    drawing = true;
    try {
      last = await stack.snapshot();
      view.show(formatSnapshot(last));
    } catch {
      // The database is closing.
    } finally {
      drawing = false;
    }
  };
  const timer = setInterval(draw, tty ? 250 : 2_000);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    log('stopping: finishing the worker request in flight, then shutting down…');
    const summary = await stack.summary().catch(() => undefined);
    await stack.stop();
    if (summary) {
      view.release();
      log(formatSnapshot(summary).join('\n'));
    }
    log('stopped cleanly');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  let summary: Awaited<typeof stack.done>;
  try {
    summary = await stack.done;
  } catch (error) {
    log(`npm start: the session failed: ${(error as Error).message}`);
    await stop(1);
    return;
  }
  if (options.exitWhenDone) {
    clearInterval(timer);
    stopping = true;
    await stack.stop();
    view.release();
    if (tty) out(`${formatSnapshot(summary).join('\n')}\n`);
    console.log(JSON.stringify(summary));
    process.exit(0);
  }
  await draw();
  log('the replay has reached its end; the stack keeps serving. Ctrl-C stops.');
}

function banner(stack: Stack, options: StackOptions): string {
  const speed = options.speed ?? 60;
  return [
    'tradeflow local stack',
    `  database   ${stack.database.kind} (${stack.database.wireUrl})`,
    `  functions  ${stack.url}/functions/v1/{api,worker}`,
    `  realtime   ${stack.url.replace('http', 'ws')}/realtime/v1/websocket`,
    `  exchange   ${stack.replay.exchange.url} replaying ${stack.replay.symbols.join(', ')} at ${speed === 'max' ? 'max speed' : `${speed}×`}`,
    `  analyst    ${stack.analyst.kind}; worker handles ${stack.workerHandlers.length > 0 ? stack.workerHandlers.join(', ') : 'no job kinds yet'}`,
    `  anon key   ${stack.anonKey}`,
    `  demo token ${stack.demoToken}`,
    '',
  ].join('\n');
}
