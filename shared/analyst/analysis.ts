/**
 * The analysis an analyst returns for a signal: one zod schema that validates every analyst's
 * output (the model's JSON and the deterministic rule set alike) and from which the JSON
 * schema sent to the model as `response_format` is derived, so the two never drift apart.
 *
 * The JSON schema can only describe the shape; the cross-field rule — levels on the right side
 * of the entry for the signal's side — is checked by zod after parsing, and output that breaks
 * it is treated exactly like malformed output.
 */
import { z } from 'zod';
import { dec } from '../money/decimal.ts';

export type Side = 'long' | 'short';

/** A positive price as a plain decimal string (`"0.0994766"`, `"42150.5"`): no sign, no exponent. */
const PRICE_PATTERN = '^[0-9]+(\\.[0-9]+)?$';

const price = z
  .string()
  .regex(new RegExp(PRICE_PATTERN), 'must be a plain positive decimal string such as "42150.5"')
  .refine((value) => dec(value).gt(0), 'must be greater than zero');

/** The fields an analyst decides; what the model must answer with, nothing more. */
export const analysisOutputShape = z
  .object({
    action: z
      .enum(['enter', 'wait', 'reject'])
      .describe(
        'enter: take the signal now at the levels given; wait: not yet (conditions not met or data insufficient); reject: the evidence is against the signal',
      ),
    confidence: z
      .number()
      .min(0)
      .max(1)
      .describe(
        "How strongly the evidence supports entering on the signal's side now: 0 = none or against, 1 = fully for",
      ),
    entry: price
      .nullable()
      .describe('Entry price as a decimal string; null when rejecting or when the data is insufficient'),
    stopLoss: price
      .nullable()
      .describe('Stop-loss price: below entry for a long, above entry for a short; null when entry is null'),
    takeProfit: price
      .nullable()
      .describe(
        'Take-profit price: above entry for a long, below entry for a short; null when entry is null',
      ),
    timeframe: z.string().min(1).describe('Timeframe the analysis holds for, e.g. "5m", "1h"'),
    rationale: z.string().min(1).max(2000).describe('One to three sentences: which evidence decided'),
  })
  .strict();

export type AnalysisOutput = z.infer<typeof analysisOutputShape>;

/** What every analyst returns: the decision plus how it was produced. */
export type Analysis = AnalysisOutput & {
  /** The model that answered (`deterministic-…` for the rule set). */
  model: string;
  /** Token usage as reported by the model server; null when there is none. */
  tokens: { prompt: number; completion: number; total: number } | null;
  latencyMs: number;
};

/**
 * The output schema for one side. An `enter` needs all three levels; any levels that are given
 * (a `wait` may suggest them) must be ordered for the side — long: stop-loss < entry <
 * take-profit, short: the reverse — because an order placed from crossed levels would be
 * stopped out or take profit immediately.
 */
export function analysisOutputSchema(side: Side) {
  return analysisOutputShape.superRefine((output, ctx) => {
    const { action, entry, stopLoss, takeProfit } = output;
    if (action === 'enter') {
      for (const key of ['entry', 'stopLoss', 'takeProfit'] as const) {
        if (output[key] === null) {
          ctx.addIssue({ code: 'custom', path: [key], message: `an enter needs ${key}` });
        }
      }
    }
    // Levels that failed their own format check are already reported; compare the rest only.
    const valid = (value: string | null) => value !== null && new RegExp(PRICE_PATTERN).test(value);
    const below = side === 'long' ? 'below' : 'above';
    const above = side === 'long' ? 'above' : 'below';
    const ordered = (low: string, high: string) =>
      side === 'long' ? dec(low).lt(dec(high)) : dec(low).gt(dec(high));
    if (valid(stopLoss) && valid(entry) && !ordered(stopLoss!, entry!)) {
      ctx.addIssue({
        code: 'custom',
        path: ['stopLoss'],
        message: `a ${side} stop-loss must be ${below} the entry (stop-loss ${stopLoss}, entry ${entry})`,
      });
    }
    if (valid(takeProfit) && valid(entry) && !ordered(entry!, takeProfit!)) {
      ctx.addIssue({
        code: 'custom',
        path: ['takeProfit'],
        message: `a ${side} take-profit must be ${above} the entry (take-profit ${takeProfit}, entry ${entry})`,
      });
    }
    if (valid(stopLoss) && valid(takeProfit) && !ordered(stopLoss!, takeProfit!)) {
      ctx.addIssue({
        code: 'custom',
        path: ['takeProfit'],
        message: `a ${side} take-profit must be ${above} the stop-loss (take-profit ${takeProfit}, stop-loss ${stopLoss})`,
      });
    }
  });
}

/**
 * Validates an analyst's output for `side`. Returns the output or the issues as plain
 * sentences (`stopLoss: a long stop-loss must be below the entry …`).
 */
export function validateAnalysisOutput(
  value: unknown,
  side: Side,
): { ok: true; output: AnalysisOutput } | { ok: false; issues: string[] } {
  const parsed = analysisOutputSchema(side).safeParse(value);
  if (parsed.success) return { ok: true, output: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) =>
      issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
    ),
  };
}

/** Name of the schema in `response_format.json_schema.name` (OpenAI: `^[a-zA-Z0-9_-]{1,64}$`). */
export const ANALYSIS_SCHEMA_NAME = 'signal_analysis';

/**
 * The JSON schema for OpenAI's strict structured output, derived from the zod shape: every
 * property required, nullable levels as `anyOf [string, null]`, `additionalProperties: false`
 * (what strict mode demands). `$schema` is dropped because the API does not need it, and string
 * lengths because strict mode documents only `pattern` and `format` for strings — zod still
 * enforces them on the answer.
 */
export function analysisJsonSchema(): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(analysisOutputShape, { target: 'draft-7' });
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  for (const property of Object.values(properties)) {
    delete property['minLength'];
    delete property['maxLength'];
  }
  return schema as Record<string, unknown>;
}
