/**
 * The OpenAI analyst with the real `openai` client against the local OpenAI-compatible server:
 * structured output, the failures a model server really produces, and how each one is reported
 * to the job queue (reason, retryable, retry-after).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { replies } from '../../../platform/openai-server/replies.ts';
import { type OpenAiServer, startOpenAiServer } from '../../../platform/openai-server/server.ts';
import { AnalysisFailed } from '../../../shared/analyst/analysis-failed.ts';
import { decide } from '../../../shared/analyst/deterministic-analyst.ts';
import { createOpenAiAnalyst, type OpenAiAnalystOptions } from '../../../shared/analyst/openai-analyst.ts';
import type { AnalysisInput } from '../../../shared/analyst/port.ts';
import { PROMPT_CANDLES } from '../../../shared/analyst/prompt.ts';
import { parseOhlcvJson } from '../../../shared/market-data/index.ts';
import { readSharedOhlcv } from '../../support/shared-data.ts';

const API_KEY = 'sk-local-test';
const MODEL = 'gpt-test-analyst';

let server: OpenAiServer;
let input: AnalysisInput;

beforeAll(async () => {
  server = await startOpenAiServer({ apiKey: API_KEY });
  const { candles } = parseOhlcvJson(readSharedOhlcv('ETH_BTC-5m.json'), { timeframe: '5m' });
  const window = candles.slice(0, 100);
  input = {
    signal: { symbol: 'ETH/BTC', side: 'long', timeframe: '5m', note: 'range breakout' },
    candles: window,
    now: window[window.length - 1]!.ts,
  };
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.reset();
});

/** An analyst on the local server whose clock advances 25 ms per reading. */
function analyst(overrides: Partial<OpenAiAnalystOptions> = {}) {
  let t = 0;
  return createOpenAiAnalyst({
    apiKey: API_KEY,
    baseURL: server.baseURL,
    model: MODEL,
    timeoutMs: 5_000,
    clock: () => {
      t += 25;
      return t;
    },
    ...overrides,
  });
}

async function failureOf(promise: Promise<unknown>): Promise<AnalysisFailed> {
  const error = await promise.then(
    () => {
      throw new Error('expected the analysis to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AnalysisFailed);
  return error as AnalysisFailed;
}

describe('the OpenAI analyst against a local OpenAI-compatible server', () => {
  it('parses and validates the structured answer, recording model, tokens and latency', async () => {
    const analysis = await analyst().analyse(input);
    // The server answers with the rule set's decision on what the prompt carried (the last
    // PROMPT_CANDLES candles).
    const expected = decide({ ...input, candles: input.candles.slice(-PROMPT_CANDLES) });
    expect(analysis).toMatchObject(expected);
    expect(analysis.model).toBe(MODEL);
    expect(analysis.latencyMs).toBe(25);
    expect(analysis.tokens).toEqual({
      prompt: expect.any(Number),
      completion: expect.any(Number),
      total: analysis.tokens!.prompt + analysis.tokens!.completion,
    });
    expect(analysis.tokens!.prompt).toBeGreaterThan(100);
  });

  it('sends the configured model, the key, a strict json_schema response format and a prompt naming the symbol', async () => {
    await analyst().analyse(input);
    expect(server.requests).toHaveLength(1);
    const request = server.requests[0]!;
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    const body = request.body as {
      model: string;
      messages: { role: string; content: string }[];
      response_format: {
        type: string;
        json_schema: { name: string; strict: boolean; schema: { required: string[] } };
      };
    };
    expect(body.model).toBe(MODEL);
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema.name).toBe('signal_analysis');
    expect(body.response_format.json_schema.strict).toBe(true);
    expect(body.response_format.json_schema.schema.required).toContain('stopLoss');
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(body.messages[1]!.content).toContain('ETH/BTC');
  });

  it('accepts a canned answer from a model that follows the rules', async () => {
    server.enqueue(
      replies.content({
        action: 'enter',
        confidence: 0.64,
        entry: '0.0958',
        stopLoss: '0.0945',
        takeProfit: '0.0985',
        timeframe: '5m',
        rationale: 'Higher lows above EMA21.',
      }),
    );
    const analysis = await analyst().analyse(input);
    expect(analysis).toMatchObject({ action: 'enter', confidence: 0.64, stopLoss: '0.0945' });
  });

  it('reports malformed JSON as malformed_output, retryable', async () => {
    server.enqueue(replies.malformedJson());
    const failure = await failureOf(analyst().analyse(input));
    expect(failure.reason).toBe('malformed_output');
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain('not JSON');
  });

  it('reports JSON that breaks the schema as malformed_output, retryable', async () => {
    server.enqueue(replies.schemaInvalid());
    const failure = await failureOf(analyst().analyse(input));
    expect(failure.reason).toBe('malformed_output');
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain('breaks the schema');
  });

  it('reports levels on the wrong side of the entry as malformed_output', async () => {
    server.enqueue(
      replies.content({
        action: 'enter',
        confidence: 0.9,
        entry: '0.0958',
        stopLoss: '0.0990',
        takeProfit: '0.0985',
        timeframe: '5m',
        rationale: 'Crossed levels.',
      }),
    );
    const failure = await failureOf(analyst().analyse(input));
    expect(failure.reason).toBe('malformed_output');
    expect(failure.message).toContain('a long stop-loss must be below the entry');
  });

  it('reports output cut off at the token limit as malformed_output', async () => {
    server.enqueue(replies.content('{"action":"enter"', 'length'));
    expect((await failureOf(analyst().analyse(input))).reason).toBe('malformed_output');
  });

  it('gives up at the client timeout and reports timeout, retryable, without waiting for the server', async () => {
    server.enqueue(replies.delayed(2_000));
    const started = Date.now();
    const failure = await failureOf(analyst({ timeoutMs: 300 }).analyse(input));
    expect(failure.reason).toBe('timeout');
    expect(failure.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a refused key (401) as auth, not retryable', async () => {
    const failure = await failureOf(analyst({ apiKey: 'sk-wrong' }).analyse(input));
    expect(failure.reason).toBe('auth');
    expect(failure.status).toBe(401);
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain('Incorrect API key');
  });

  it('reports a forbidden model (403) as auth, not retryable', async () => {
    server.enqueue(replies.forbidden());
    const failure = await failureOf(analyst().analyse(input));
    expect([failure.reason, failure.retryable]).toEqual(['auth', false]);
  });

  it('reports 429 as rate_limited, retryable, with the retry-after seconds', async () => {
    server.enqueue(replies.rateLimited(17));
    const failure = await failureOf(analyst().analyse(input));
    expect(failure.reason).toBe('rate_limited');
    expect(failure.retryable).toBe(true);
    expect(failure.retryAfterSeconds).toBe(17);
    // The client did not retry by itself: retries belong to the job queue.
    expect(server.requests).toHaveLength(1);
  });

  it('reports a 500 as unavailable, retryable, after one request only', async () => {
    server.enqueue(replies.serverError(500));
    const failure = await failureOf(analyst().analyse(input));
    expect(failure.reason).toBe('unavailable');
    expect(failure.retryable).toBe(true);
    expect(failure.status).toBe(500);
    expect(server.requests).toHaveLength(1);
  });

  it('reports an unreachable server as connection, retryable', async () => {
    const gone = await startOpenAiServer();
    const baseURL = gone.baseURL;
    await gone.close();
    const failure = await failureOf(analyst({ baseURL }).analyse(input));
    expect([failure.reason, failure.retryable]).toEqual(['connection', true]);
  });
});
