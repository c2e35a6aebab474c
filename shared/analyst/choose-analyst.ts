/**
 * Picks the analyst from configuration: OpenAI when `OPENAI_API_KEY` is set, else the
 * deterministic rule set — so the local stack and CI run without a key, and production needs
 * only `supabase secrets set OPENAI_API_KEY=…`.
 *
 * The environment is passed in as a plain record (`Deno.env.toObject()`, `process.env`), which
 * keeps this module runtime-agnostic.
 */
import { createDeterministicAnalyst } from './deterministic-analyst.ts';
import { createOpenAiAnalyst, DEFAULT_OPENAI_MODEL, DEFAULT_OPENAI_TIMEOUT_MS } from './openai-analyst.ts';
import type { Analyst } from './port.ts';

export type AnalystEnv = {
  OPENAI_API_KEY?: string | undefined;
  /** Any OpenAI-compatible server; default OpenAI's. */
  OPENAI_BASE_URL?: string | undefined;
  /** Default `gpt-4o-mini`. */
  OPENAI_MODEL?: string | undefined;
  /** Milliseconds; default 30 000. */
  OPENAI_TIMEOUT_MS?: string | undefined;
};

export function chooseAnalyst(env: AnalystEnv, options: { clock?: () => number } = {}): Analyst {
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  const apiKey = env.OPENAI_API_KEY?.trim();
  if (!apiKey) return createDeterministicAnalyst(clock);
  const baseURL = env.OPENAI_BASE_URL?.trim();
  return createOpenAiAnalyst({
    apiKey,
    model: env.OPENAI_MODEL?.trim() || DEFAULT_OPENAI_MODEL,
    ...(baseURL ? { baseURL } : {}),
    timeoutMs: parseTimeout(env.OPENAI_TIMEOUT_MS),
    ...clock,
  });
}

function parseTimeout(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_OPENAI_TIMEOUT_MS;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new Error(`OPENAI_TIMEOUT_MS must be a positive whole number of milliseconds, got "${value}"`);
  }
  return ms;
}
