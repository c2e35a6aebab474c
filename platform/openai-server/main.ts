/**
 * `tsx platform/openai-server/main.ts [--port <p>] [--host <h>] [--api-key <key>]`
 *
 * Runs the local OpenAI-compatible server on its own, answering every chat completion with the
 * deterministic analyst's decision on the prompt's data, so the OpenAI analyst path can be run
 * end to end without a key: `OPENAI_API_KEY=local OPENAI_BASE_URL=<printed base URL>`.
 * Stops cleanly on SIGINT / SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startOpenAiServer } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'api-key': { type: 'string' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`openai-server: --port must be a port number, got ${values.port}`);
  process.exit(2);
}

const server = await startOpenAiServer({
  port,
  host: values.host,
  ...(values['api-key'] === undefined ? {} : { apiKey: values['api-key'] }),
});
console.log(`openai-server: listening, OPENAI_BASE_URL=${server.baseURL}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
