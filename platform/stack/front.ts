/**
 * The HTTP front at 127.0.0.1:54321, laid out like a Supabase project URL:
 * `/functions/v1/<name>/…` is forwarded to that function's Deno process (the path after
 * `/functions/v1`, since each function routes under its own `/<name>` base path), and
 * `/realtime/v1/websocket` is the Realtime gateway (attached to this server by the caller).
 * Anything else answers 404 with a list of what is served.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';

export interface Front {
  server: Server;
  url: string;
  port: number;
  /** Routes a function name to its internal base URL. */
  route(name: string, target: string): void;
  close(): Promise<void>;
}

export interface FrontOptions {
  port: number;
  /** Extra headers added to every forwarded request (the market clock). */
  forwardHeaders?: () => Record<string, string>;
}

const FUNCTIONS_PREFIX = '/functions/v1/';

export async function startFront(options: FrontOptions): Promise<Front> {
  const routes = new Map<string, URL>();
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path.startsWith(FUNCTIONS_PREFIX)) {
      const rest = path.slice(FUNCTIONS_PREFIX.length - 1); // keeps the leading slash: /<name>/…
      const name = rest.slice(1).split(/[/?]/, 1)[0] ?? '';
      const target = routes.get(name);
      if (!target) return notFound(res, `no function named ${name}`);
      return forward(req, res, target, rest, options.forwardHeaders?.() ?? {});
    }
    notFound(res, 'not served by the local stack');
  });
  // Long-polling clients and keep-alive: the Deno processes have their own limits.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  function notFound(res: ServerResponse, message: string) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: { code: 'not_found', message },
        served: [...[...routes.keys()].map((name) => `${FUNCTIONS_PREFIX}${name}`), '/realtime/v1/websocket'],
      }),
    );
  }

  return {
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    route: (name, target) => routes.set(name, new URL(target)),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  path: string,
  extraHeaders: Record<string, string>,
): void {
  const upstream = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path,
      headers: { ...req.headers, host: target.host, ...extraHeaders },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    if (res.headersSent) return res.destroy(error);
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ error: { code: 'bad_gateway', message: `function unreachable: ${error.message}` } }),
    );
  });
  req.pipe(upstream);
}
