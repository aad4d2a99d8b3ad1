/**
 * The dashboard at `/dashboard`: a page and its script and style, not authenticated (there is
 * nothing secret in them). The page signs every API call it makes with the key the user signs
 * in with, in the browser. The app is bundled on the first request and kept.
 */
import { buildDashboard, type DashboardAssets } from '@blgv/dashboard';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The page loads only its own script and style and talks only to this origin; it cannot be
 * framed; charts draw on canvas.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Registers the dashboard routes; `build` bundles the app (the real one unless a test says). */
export function registerDashboardRoutes(
  app: FastifyInstance,
  build: () => Promise<DashboardAssets> = buildDashboard,
): void {
  let built: Promise<DashboardAssets> | undefined;
  const assets = () => {
    built ??= build().catch((err: unknown) => {
      built = undefined; // the next request tries again
      throw err;
    });
    return built;
  };

  const send = async (name: string, req: FastifyRequest, reply: FastifyReply) => {
    const file = (await assets()).get(name);
    if (!file) {
      return reply.code(404).send({ error: { code: 'not_found', message: `no dashboard file ${name}` } });
    }
    void reply
      .header('content-type', file.contentType)
      .header('cache-control', 'no-cache')
      .header('etag', file.etag)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('content-security-policy', CONTENT_SECURITY_POLICY);
    if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.send(file.body);
  };

  const schema = { hide: true };
  app.get('/dashboard', { schema }, (req, reply) => send('index.html', req, reply));
  app.get('/dashboard/', { schema }, (req, reply) => send('index.html', req, reply));
  app.get<{ Params: { file: string } }>('/dashboard/:file', { schema }, (req, reply) =>
    send(req.params.file, req, reply),
  );
}
