/**
 * api — the user REST API. Every request runs as the calling user, under RLS.
 * At this stage it answers health checks; resources arrive with the pipeline and exchange issues.
 */
import { Hono } from 'hono';
import { HttpError } from '../../shared/http/errors.ts';

const app = new Hono().basePath('/api');

app.onError((error, c) => {
  if (error instanceof HttpError) return c.json(error.toBody(), error.status);
  console.error('api error', error instanceof Error ? error.message : error);
  return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
});

app.get('/health', (c) => c.json({ ok: true }));
app.notFound((c) =>
  c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
);

Deno.serve(app.fetch);
