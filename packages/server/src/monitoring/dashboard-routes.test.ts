import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DashboardAssets } from '@blgv/dashboard';
import Fastify from 'fastify';
import { registerDashboardRoutes } from './dashboard-routes.ts';

const assets: DashboardAssets = new Map([
  [
    'index.html',
    { body: Buffer.from('<!doctype html>'), contentType: 'text/html; charset=utf-8', etag: '"h"' },
  ],
  ['app.js', { body: Buffer.from('1'), contentType: 'text/javascript; charset=utf-8', etag: '"j"' }],
]);

test('the page and its files are served with a strict policy, revalidated by ETag; others are 404', async () => {
  const app = Fastify();
  let builds = 0;
  registerDashboardRoutes(app, async () => {
    builds++;
    return assets;
  });
  for (const url of ['/dashboard', '/dashboard/']) {
    const page = await app.inject({ url });
    assert.equal(page.statusCode, 200);
    assert.equal(page.body, '<!doctype html>');
    assert.match(
      String(page.headers['content-security-policy']),
      /script-src 'self'.*frame-ancestors 'none'/,
    );
  }
  const js = await app.inject({ url: '/dashboard/app.js' });
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(
    (await app.inject({ url: '/dashboard/app.js', headers: { 'if-none-match': '"j"' } })).statusCode,
    304,
  );
  assert.equal((await app.inject({ url: '/dashboard/secret.txt' })).statusCode, 404);
  assert.equal(builds, 1, 'built once, then kept');
  await app.close();
});

test('a failed build is an error for that request and is tried again on the next', async () => {
  const app = Fastify({ logger: false });
  let fail = true;
  registerDashboardRoutes(app, async () => {
    if (fail) throw new Error('esbuild missing');
    return assets;
  });
  assert.equal((await app.inject({ url: '/dashboard' })).statusCode, 500);
  fail = false;
  assert.equal((await app.inject({ url: '/dashboard' })).statusCode, 200);
  await app.close();
});
