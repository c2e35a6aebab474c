/**
 * Runs one Edge Function under Deno on a port the local stack chooses (the Deno launcher).
 *
 *   deno run -A platform/stack/serve-function.ts functions/<name>/index.ts
 *
 * The functions call `Deno.serve(app.fetch)` exactly as on Supabase, which would bind every one
 * of them to port 8000. Rather than change the functions for the local stack, this launcher
 * replaces `Deno.serve` before importing the function, forcing host 127.0.0.1 and the port in
 * `TRADEFLOW_FUNCTION_PORT`, and announces readiness with one line on stdout
 * (`tradeflow-function-listening <port>`) that the stack waits for.
 *
 * With `TRADEFLOW_EXIT_WITH_PARENT=1`, stdin is a pipe from the stack that is never written to:
 * end-of-file means the stack's process is gone (even killed with SIGKILL, when no exit hook of
 * its own could run), and the function exits at once rather than live on as an orphan. A
 * graceful stop does not go this way: the stack finishes the worker's request in flight first,
 * then sends SIGTERM.
 *
 * Nothing else is changed in the function's world: the market clock of a fast replay reaches
 * the worker as a header that it reads itself (functions/worker/index.ts), not through a
 * patched `Date`.
 *
 * Written against a minimal view of the Deno namespace so that Node's type check accepts it.
 */

type Handler = (request: Request, info?: unknown) => Response | Promise<Response>;
interface ServeOptions {
  port?: number;
  hostname?: string;
  handler?: Handler;
  onListen?: (address: { port: number; hostname: string }) => void;
  [key: string]: unknown;
}
interface DenoLike {
  serve(...args: unknown[]): unknown;
  env: { get(name: string): string | undefined };
  args: string[];
  cwd(): string;
  stdin: { readable: ReadableStream<Uint8Array> };
  exit(code?: number): never;
}

const deno = (globalThis as unknown as { Deno: DenoLike }).Deno;

const port = Number(deno.env.get('TRADEFLOW_FUNCTION_PORT'));
const entry = deno.args[0];
if (!Number.isInteger(port) || port <= 0 || !entry) {
  throw new Error('usage: TRADEFLOW_FUNCTION_PORT=<port> deno run -A serve-function.ts <function index.ts>');
}

if (deno.env.get('TRADEFLOW_EXIT_WITH_PARENT') === '1') void exitWhenParentIsGone();

const originalServe = deno.serve.bind(deno);
deno.serve = (...args: unknown[]) => {
  const handlerArg = args.find((arg): arg is Handler => typeof arg === 'function');
  const options = (args.find((arg) => typeof arg === 'object' && arg !== null) ?? {}) as ServeOptions;
  const handler = handlerArg ?? options.handler;
  if (!handler) throw new Error('serve-function: Deno.serve was called without a handler');
  return originalServe(
    {
      ...options,
      handler: undefined,
      hostname: '127.0.0.1',
      port,
      onListen: (address: { port: number }) => console.log(`tradeflow-function-listening ${address.port}`),
    },
    handler,
  );
};

/** Reads stdin to its end (the parent never writes), then exits: the parent has gone. */
async function exitWhenParentIsGone(): Promise<void> {
  try {
    const reader = deno.stdin.readable.getReader();
    while (!(await reader.read()).done) {
      // Nothing is ever sent; anything that is, is ignored.
    }
  } catch {
    // A read error means the pipe is broken: the parent is gone just the same.
  }
  // No farewell line: stdout and stderr went with the parent.
  deno.exit(0);
}

const url = new URL(entry, `file://${deno.cwd()}/`);
await import(url.href);

export {};
