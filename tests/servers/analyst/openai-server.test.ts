/**
 * The local OpenAI-compatible server speaks OpenAI's wire format exactly: the response and error
 * shapes the real client depends on, checked here with plain fetch.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { replies } from '../../../platform/openai-server/replies.ts';
import { type OpenAiServer, startOpenAiServer } from '../../../platform/openai-server/server.ts';

let server: OpenAiServer;

beforeAll(async () => {
  server = await startOpenAiServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

function complete(body: unknown = { model: 'gpt-x', messages: [{ role: 'user', content: 'hello' }] }) {
  return fetch(`${server.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('the local OpenAI-compatible server', () => {
  it("answers a chat completion in OpenAI's response shape, echoing the model", async () => {
    server.enqueue(replies.content('{"ok":true}'));
    const response = await complete();
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'gpt-x',
      choices: [{ index: 0, message: { role: 'assistant', content: '{"ok":true}' }, finish_reason: 'stop' }],
    });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it('answers a prompt without market data with a valid wait', async () => {
    const body = await (await complete()).json();
    expect(JSON.parse(body.choices[0].message.content)).toMatchObject({ action: 'wait', entry: null });
  });

  it('uses each queued reply once, then falls back to the default', async () => {
    server.enqueue(replies.serverError(503), replies.rateLimited(3));
    expect((await complete()).status).toBe(503);
    const limited = await complete();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await limited.json()).toEqual({
      error: {
        message: 'Rate limit reached for requests. Please try again later.',
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
    expect((await complete()).status).toBe(200);
    expect(server.requests).toHaveLength(3);
  });

  it('refuses a request without a model or messages with a 400, as OpenAI does', async () => {
    const response = await complete({ messages: [] });
    expect(response.status).toBe(400);
    expect((await response.json()).error.type).toBe('invalid_request_error');
  });

  it('answers unknown routes with a 404 in the same error shape', async () => {
    const response = await fetch(`${server.baseURL}/embeddings`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect((await response.json()).error.message).toBe('Invalid URL (POST /v1/embeddings)');
  });

  it('checks the bearer key when one is configured', async () => {
    const guarded = await startOpenAiServer({ apiKey: 'sk-right' });
    try {
      const response = await fetch(`${guarded.baseURL}/models`, {
        headers: { authorization: 'Bearer sk-wrong' },
      });
      expect(response.status).toBe(401);
      expect((await response.json()).error.code).toBe('invalid_api_key');
      const models = await fetch(`${guarded.baseURL}/models`, {
        headers: { authorization: 'Bearer sk-right' },
      });
      expect((await models.json()).data[0]).toMatchObject({ object: 'model' });
    } finally {
      await guarded.close();
    }
  });

  it('closes promptly even while a delayed answer is pending', async () => {
    const slow = await startOpenAiServer({ defaultReply: replies.delayed(10_000) });
    const pending = fetch(`${slow.baseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await slow.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(Error);
  });
});
