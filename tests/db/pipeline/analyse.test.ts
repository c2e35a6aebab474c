/**
 * analyse with the real `openai` client against the local OpenAI-compatible server: the
 * analysis is stored on the signal; malformed output is retried by the queue and, on the last
 * attempt, rejects the signal with the reason.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { replies } from '../../../platform/openai-server/replies.ts';
import { type OpenAiServer, startOpenAiServer } from '../../../platform/openai-server/server.ts';
import { AnalysisFailed } from '../../../shared/analyst/analysis-failed.ts';
import { createOpenAiAnalyst } from '../../../shared/analyst/openai-analyst.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import { pipelineSetup } from './support.ts';

const API_KEY = 'sk-pipeline-test';
const MODEL = 'gpt-pipeline-test';
let server: OpenAiServer;

beforeAll(async () => {
  server = await startOpenAiServer({ apiKey: API_KEY });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

const openAi = () =>
  createOpenAiAnalyst({ apiKey: API_KEY, baseURL: server.baseURL, model: MODEL, timeoutMs: 5_000 });

describeOnEachBackend('analyse', (database) => {
  it('stores the model, tokens, latency, confidence and levels of the analysis and moves the signal to monitoring', async () => {
    const setup = await pipelineSetup(database().db, { analyst: openAi() });
    const id = await setup.signal();
    await setup.run('analyse', { signal_id: id });
    const [row] = await setup.db.query<Record<string, unknown>>(
      `select status, analysis_model, analysis_tokens, analysis_latency_ms, confidence::text as confidence,
              entry_price::text as entry, analysis->>'rationale' as rationale
         from public.signals where id = $1`,
      [id],
    );
    expect(row).toMatchObject({ status: 'monitoring', analysis_model: MODEL, entry: '104.24' });
    expect(row!['analysis_tokens']).toBeGreaterThan(100);
    expect(row!['analysis_latency_ms']).toBeGreaterThanOrEqual(0);
    expect(row!['rationale']).toEqual(expect.any(String));
    expect(server.requests).toHaveLength(1);
  });

  it('leaves a signal already past analyzing alone', async () => {
    const setup = await pipelineSetup(database().db, { analyst: openAi() });
    const id = await setup.signal();
    await setup.run('analyse', { signal_id: id });
    await setup.run('analyse', { signal_id: id });
    expect(server.requests).toHaveLength(1);
    expect(await setup.status(id)).toBe('monitoring');
  });

  it('retries malformed model output through the queue, then rejects the signal with the reason on the last attempt', async () => {
    const setup = await pipelineSetup(database().db, { analyst: openAi() });
    const id = await setup.signal();
    server.enqueue(replies.malformedJson(), replies.schemaInvalid());

    await expect(setup.run('analyse', { signal_id: id }, 1, 2)).rejects.toBeInstanceOf(AnalysisFailed);
    expect(await setup.status(id)).toBe('analyzing');

    await setup.run('analyse', { signal_id: id }, 2, 2);
    const [row] = await setup.db.query<{ status: string; status_reason: string }>(
      'select status, status_reason from public.signals where id = $1',
      [id],
    );
    expect(row!.status).toBe('rejected');
    expect(row!.status_reason).toContain('analysis failed (malformed_output, after 2 attempts)');
    expect(server.requests).toHaveLength(2);
  });

  it('rejects at once when retrying cannot help (a refused key)', async () => {
    const setup = await pipelineSetup(database().db, { analyst: openAi() });
    const id = await setup.signal();
    server.enqueue(replies.unauthorized());
    await setup.run('analyse', { signal_id: id }, 1, 5);
    const [row] = await setup.db.query<{ status: string; status_reason: string }>(
      'select status, status_reason from public.signals where id = $1',
      [id],
    );
    expect([row!.status, row!.status_reason]).toEqual([
      'rejected',
      expect.stringContaining('(auth, not retryable)'),
    ]);
  });
});
