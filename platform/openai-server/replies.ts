/**
 * What the local OpenAI-compatible server answers, scripted per request. Error bodies and
 * headers copy the real API's (`{ error: { message, type, param, code } }`), because the
 * `openai` client turns them into its error classes and our analyst maps those classes.
 */

export type Reply =
  /** A valid structured answer: the deterministic analyst's decision on the data in the prompt. */
  | { kind: 'analyse' }
  /** This exact assistant message content (valid, malformed or schema-breaking JSON). */
  | { kind: 'content'; content: string; finishReason?: 'stop' | 'length' }
  /** An HTTP error with OpenAI's error body. */
  | {
      kind: 'error';
      status: number;
      message: string;
      type: string;
      code: string | null;
      headers?: Record<string, string>;
    }
  /** Waits `ms` before answering with `then` (a client with a shorter timeout gives up first). */
  | { kind: 'delay'; ms: number; then: Reply };

export const replies = {
  analyse: (): Reply => ({ kind: 'analyse' }),

  /** An assistant message; objects are sent as their JSON text. */
  content: (content: string | object, finishReason: 'stop' | 'length' = 'stop'): Reply => ({
    kind: 'content',
    content: typeof content === 'string' ? content : JSON.stringify(content),
    finishReason,
  }),

  /** JSON cut off mid-way, as a model that ran away would leave it. */
  malformedJson: (): Reply => ({
    kind: 'content',
    content: '{"action": "enter", "confidence": 0.8, "entry": "4',
  }),

  /** Well-formed JSON that breaks the schema (unknown action, confidence above 1, fields missing). */
  schemaInvalid: (): Reply => ({
    kind: 'content',
    content: JSON.stringify({ action: 'buy', confidence: 1.7, entry: 42000 }),
  }),

  delayed: (ms: number, then: Reply = { kind: 'analyse' }): Reply => ({ kind: 'delay', ms, then }),

  unauthorized: (): Reply => ({
    kind: 'error',
    status: 401,
    message:
      'Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  }),

  forbidden: (): Reply => ({
    kind: 'error',
    status: 403,
    message: 'You are not allowed to sample from this model',
    type: 'invalid_request_error',
    code: 'model_not_allowed',
  }),

  rateLimited: (retryAfterSeconds?: number): Reply => ({
    kind: 'error',
    status: 429,
    message: 'Rate limit reached for requests. Please try again later.',
    type: 'requests',
    code: 'rate_limit_exceeded',
    ...(retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(retryAfterSeconds) } }),
  }),

  serverError: (status = 500): Reply => ({
    kind: 'error',
    status,
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  }),
};
