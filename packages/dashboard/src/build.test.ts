import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDashboard } from './build.ts';

test('the app bundles: the page loads its script and style, the script carries Chart.js and the signing', async () => {
  const assets = await buildDashboard();
  const html = assets.get('index.html')?.body.toString('utf8') ?? '';
  assert.match(html, /<script type="module" src="\/dashboard\/app\.js">/);
  assert.match(html, /<link rel="stylesheet" href="\/dashboard\/app\.css"/);
  const js = assets.get('app.js')?.body.toString('utf8') ?? '';
  assert.ok(js.length > 100_000, `app.js is ${js.length} bytes`);
  assert.match(js, /BLGV-HMAC-SHA256/, 'the shared signing code is in the bundle');
  assert.match(js, /x-blgv-signature/);
  assert.doesNotMatch(js, /from ?["']node:/, 'nothing of Node in the browser bundle');
  assert.ok(assets.get('app.css')?.body.length);
  assert.notEqual(assets.get('app.js')?.etag, assets.get('app.css')?.etag);
});
