/**
 * The one error an analyst throws. The job queue reads `retryable` (and `retryAfterSeconds`) to
 * decide between a backoff and giving up; the reason ends up on the signal when it is rejected,
 * so it is a short stable word, and the message a sentence a trader can read.
 */

export type AnalysisFailureReason =
  /** The model answered, but not with valid JSON, or JSON that breaks the schema or the level rules. */
  | 'malformed_output'
  /** The model server did not answer within the client timeout. */
  | 'timeout'
  /** The API key was refused (401) or lacks permission (403): retrying cannot help. */
  | 'auth'
  /** 429: too many requests or no quota left for now. */
  | 'rate_limited'
  /** 5xx from the model server. */
  | 'unavailable'
  /** The server could not be reached (DNS, refused connection, reset). */
  | 'connection'
  /** The model declined to answer (OpenAI's `refusal`). */
  | 'refused'
  /** Any other 4xx: our request is wrong (unknown model, bad schema); retrying cannot help. */
  | 'bad_request';

const RETRYABLE: Record<AnalysisFailureReason, boolean> = {
  malformed_output: true,
  timeout: true,
  auth: false,
  rate_limited: true,
  unavailable: true,
  connection: true,
  refused: false,
  bad_request: false,
};

export class AnalysisFailed extends Error {
  override readonly name = 'AnalysisFailed';
  readonly reason: AnalysisFailureReason;
  /** Whether the same request may succeed later (the job queue retries with backoff). */
  readonly retryable: boolean;
  /** From a 429's `retry-after`/`retry-after-ms` header, when the server sent one. */
  readonly retryAfterSeconds: number | undefined;
  /** HTTP status when the failure came from an HTTP answer. */
  readonly status: number | undefined;

  constructor(
    reason: AnalysisFailureReason,
    message: string,
    options: { retryAfterSeconds?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.retryable = RETRYABLE[reason];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.status = options.status;
  }
}

export function isAnalysisFailed(error: unknown): error is AnalysisFailed {
  return error instanceof AnalysisFailed;
}
