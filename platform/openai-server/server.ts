/**
 * A local OpenAI-compatible server (`POST /v1/chat/completions`, `GET /v1/models`) for tests and
 * the keyless local stack. The real `openai` client talks to it with only `baseURL` changed, so
 * the analyst's request building, response parsing and error mapping are exercised for real.
 *
 * Answers are scripted per request (`enqueue`), falling back to the default reply — by default
 * the deterministic analyst's decision on the data embedded in the prompt. Every request is
 * recorded so tests can assert the model, the `response_format` and the prompt.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decide } from '../../shared/analyst/deterministic-analyst.ts';
import { readAnalysisPrompt } from '../../shared/analyst/prompt.ts';
import { type Reply, replies } from './replies.ts';

export type RecordedRequest = {
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  body: unknown;
};

export type OpenAiServerOptions = {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get a 401, as from OpenAI. */
  apiKey?: string;
  /** Answer when nothing is queued. Default: `replies.analyse()`. */
  defaultReply?: Reply;
  /** Models listed by `GET /v1/models`. */
  models?: string[];
};

export type OpenAiServer = {
  /** e.g. `http://127.0.0.1:53211`. */
  url: string;
  /** What the `openai` client takes as `baseURL`: `url + '/v1'`. */
  baseURL: string;
  port: number;
  /** Requests received, oldest first. */
  readonly requests: RecordedRequest[];
  /** Answers for the next requests, in order; each is used once. */
  enqueue(...replies: Reply[]): void;
  setDefaultReply(reply: Reply): void;
  /** Forgets queued replies and recorded requests. */
  reset(): void;
  close(): Promise<void>;
};

export async function startOpenAiServer(options: OpenAiServerOptions = {}): Promise<OpenAiServer> {
  const queue: Reply[] = [];
  const requests: RecordedRequest[] = [];
  let defaultReply = options.defaultReply ?? replies.analyse();
  const pendingTimers = new Set<ReturnType<typeof setTimeout>>();
  let completions = 0;

  const server = createServer((req, res) => {
    readBody(req)
      .then((text) => {
        const body = parseJson(text);
        const path = (req.url ?? '/').split('?')[0]!;
        requests.push({ method: req.method ?? 'GET', path, headers: flatHeaders(req), body });

        if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
          return sendReply(res, replies.unauthorized(), body);
        }
        if (req.method === 'GET' && path === '/v1/models') {
          const data = (options.models ?? ['gpt-4o-mini']).map((id) => ({
            id,
            object: 'model',
            created: 0,
            owned_by: 'tradeflow',
          }));
          return sendJson(res, 200, { object: 'list', data });
        }
        if (req.method === 'POST' && path === '/v1/chat/completions') {
          const problem = requestProblem(body);
          if (problem) {
            return sendJson(res, 400, {
              error: { message: problem, type: 'invalid_request_error', param: null, code: null },
            });
          }
          return sendReply(res, queue.shift() ?? defaultReply, body);
        }
        return sendJson(res, 404, {
          error: {
            message: `Invalid URL (${req.method} ${path})`,
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        });
      })
      .catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, openAiError((error as Error).message, 'server_error'));
      });
  });

  function sendReply(res: ServerResponse, reply: Reply, body: unknown): void {
    if (reply.kind === 'delay') {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        if (!res.destroyed) sendReply(res, reply.then, body);
      }, reply.ms);
      pendingTimers.add(timer);
      // A client that gave up (timeout) closes the socket: stop waiting for nothing.
      res.on('close', () => {
        clearTimeout(timer);
        pendingTimers.delete(timer);
      });
      return;
    }
    if (reply.kind === 'error') {
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      sendJson(res, reply.status, openAiError(reply.message, reply.type, reply.code));
      return;
    }
    const request = body as ChatRequest;
    const content = reply.kind === 'content' ? reply.content : analyseFromPrompt(request);
    completions += 1;
    const promptTokens = estimateTokens(request.messages.map((m) => textOf(m.content)).join('\n'));
    const completionTokens = estimateTokens(content);
    sendJson(res, 200, {
      id: `chatcmpl-local${String(completions).padStart(6, '0')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: reply.kind === 'content' ? (reply.finishReason ?? 'stop') : 'stop',
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
      system_fingerprint: 'fp_tradeflow_local',
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url,
    baseURL: `${url}/v1`,
    port,
    requests,
    enqueue: (...next) => {
      queue.push(...next);
    },
    setDefaultReply: (reply) => {
      defaultReply = reply;
    },
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of pendingTimers) clearTimeout(timer);
        pendingTimers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

type ChatRequest = { model: string; messages: { role: string; content: unknown }[] };

function requestProblem(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return 'We could not parse the JSON body of your request.';
  const { model, messages } = body as Record<string, unknown>;
  if (typeof model !== 'string' || model === '') return 'you must provide a model parameter';
  if (!Array.isArray(messages) || messages.length === 0) return "Missing required parameter: 'messages'.";
  return null;
}

/** The deterministic analyst's answer to the last user message, when it carries analysis data. */
function analyseFromPrompt(request: ChatRequest): string {
  const user = [...request.messages].reverse().find((m) => m.role === 'user');
  const input = user ? readAnalysisPrompt(textOf(user.content)) : null;
  if (input === null) {
    return JSON.stringify({
      action: 'wait',
      confidence: 0,
      entry: null,
      stopLoss: null,
      takeProfit: null,
      timeframe: '1h',
      rationale: 'The prompt carried no market data to analyse.',
    });
  }
  return JSON.stringify(decide(input));
}

/** Message content is a string or an array of parts (`{ type: 'text', text }`). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
  }
  return '';
}

/** Roughly four characters a token, as OpenAI's own rule of thumb says. */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function openAiError(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
