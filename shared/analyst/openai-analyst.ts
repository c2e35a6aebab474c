/**
 * The OpenAI analyst: Chat Completions through the official `openai` client with strict
 * structured output (`response_format: json_schema`), validated again with zod — the schema
 * guarantees the shape on OpenAI's side only, while any OpenAI-compatible server can be pointed
 * at with `baseURL`, and no server checks that levels are on the right side of the entry.
 *
 * The client never retries (`maxRetries: 0`): retries belong to the durable job queue, which
 * backs off, counts attempts and records the reason. Every failure becomes `AnalysisFailed`
 * with a reason and a `retryable` flag.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import {
  ANALYSIS_SCHEMA_NAME,
  type Analysis,
  analysisJsonSchema,
  validateAnalysisOutput,
} from './analysis.ts';
import { AnalysisFailed } from './analysis-failed.ts';
import type { AnalysisInput, Analyst } from './port.ts';
import { analysisMessages } from './prompt.ts';

export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';
/** Well under the Edge Functions' 150 s wall clock, so a slow model cannot take the worker down with it. */
export const DEFAULT_OPENAI_TIMEOUT_MS = 30_000;

export type OpenAiAnalystOptions = {
  apiKey: string;
  model?: string;
  /** Any OpenAI-compatible server, e.g. `http://127.0.0.1:8080/v1`. Default: OpenAI's. */
  baseURL?: string;
  timeoutMs?: number;
  /** Sent only when set: some models refuse a temperature. */
  temperature?: number;
  /** Milliseconds, for the latency figure only. Default `performance.now`. */
  clock?: () => number;
};

export function createOpenAiAnalyst(options: OpenAiAnalystOptions): Analyst {
  const model = options.model ?? DEFAULT_OPENAI_MODEL;
  const clock = options.clock ?? (() => performance.now());
  const client = new OpenAI({
    apiKey: options.apiKey,
    ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
    timeout: options.timeoutMs ?? DEFAULT_OPENAI_TIMEOUT_MS,
    maxRetries: 0,
  });
  const schema = analysisJsonSchema();

  return {
    kind: 'openai',
    async analyse(input: AnalysisInput): Promise<Analysis> {
      const started = clock();
      let completion: OpenAI.Chat.Completions.ChatCompletion;
      try {
        completion = await client.chat.completions.create({
          model,
          messages: analysisMessages(input),
          response_format: {
            type: 'json_schema',
            json_schema: { name: ANALYSIS_SCHEMA_NAME, strict: true, schema },
          },
          ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
        });
      } catch (error) {
        throw toAnalysisFailed(error);
      }
      const latencyMs = Math.max(0, clock() - started);
      const output = readOutput(completion, input.signal.side);
      const usage = completion.usage;
      return {
        ...output,
        model: completion.model || model,
        tokens: usage
          ? { prompt: usage.prompt_tokens, completion: usage.completion_tokens, total: usage.total_tokens }
          : null,
        latencyMs,
      };
    },
  };
}

/** The first choice's content, parsed and validated, or `AnalysisFailed`. */
function readOutput(completion: OpenAI.Chat.Completions.ChatCompletion, side: 'long' | 'short') {
  const choice = completion.choices?.[0];
  if (!choice) throw new AnalysisFailed('malformed_output', 'the model returned no choices');
  if (choice.message.refusal) {
    throw new AnalysisFailed('refused', `the model refused: ${choice.message.refusal}`);
  }
  if (choice.finish_reason === 'length') {
    throw new AnalysisFailed('malformed_output', 'the model output was cut off at the token limit');
  }
  const content = choice.message.content;
  if (!content) throw new AnalysisFailed('malformed_output', 'the model returned an empty message');
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (error) {
    throw new AnalysisFailed(
      'malformed_output',
      `the model output is not JSON (${(error as Error).message}): ${excerpt(content)}`,
    );
  }
  const checked = validateAnalysisOutput(json, side);
  if (!checked.ok) {
    throw new AnalysisFailed(
      'malformed_output',
      `the model output breaks the schema: ${checked.issues.join('; ')}`,
    );
  }
  return checked.output;
}

/** Maps what the `openai` client throws onto our reasons (its classes: `openai/core/error`). */
export function toAnalysisFailed(error: unknown): AnalysisFailed {
  if (error instanceof AnalysisFailed) return error;
  // Subclass before its parent: a timeout is also an APIConnectionError.
  if (error instanceof APIConnectionTimeoutError) {
    return new AnalysisFailed('timeout', 'the model server did not answer in time', { cause: error });
  }
  if (error instanceof APIUserAbortError || error instanceof APIConnectionError) {
    return new AnalysisFailed('connection', `the model server could not be reached: ${error.message}`, {
      cause: error,
    });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const detail = `${status} from the model server: ${error.message}`;
    if (status === 401 || status === 403) return new AnalysisFailed('auth', detail, { status, cause: error });
    if (status === 429) {
      const retryAfterSeconds = retryAfter(error.headers);
      return new AnalysisFailed('rate_limited', detail, {
        status,
        cause: error,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      });
    }
    if (status === 408) return new AnalysisFailed('timeout', detail, { status, cause: error });
    // 409 is a transient conflict on OpenAI's side; its own client retries it too.
    if (status >= 500 || status === 409)
      return new AnalysisFailed('unavailable', detail, { status, cause: error });
    return new AnalysisFailed('bad_request', detail, { status, cause: error });
  }
  return new AnalysisFailed(
    'unavailable',
    `the model call failed: ${(error as Error)?.message ?? String(error)}`,
    {
      cause: error,
    },
  );
}

/**
 * Seconds from `retry-after-ms` (OpenAI's own) or `retry-after` in seconds. An HTTP-date form
 * is not read: it would need the wall clock, and OpenAI sends seconds.
 */
function retryAfter(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const seconds = Number(headers?.get('retry-after') ?? Number.NaN);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  return undefined;
}

function excerpt(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
