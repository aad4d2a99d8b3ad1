import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RpcError } from '../lsps0/rpc-error.ts';
import { checkAppName, checkLsps5Webhook, parseLsps5Webhook } from './webhook-rules.ts';

const strict = { allowPrivateTargets: false, timeoutMs: 1_000, maxResponseBytes: 1_000 };

/** The LSPS code a check throws (or `ok`). */
async function codeOf(check: () => unknown): Promise<number | 'ok'> {
  try {
    await check();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof RpcError, String(err));
    return err.code;
  }
}

test('app_name: 64 bytes pass, 65 are too_long (500), escapes counted as written', async () => {
  assert.equal(await codeOf(() => checkAppName('a'.repeat(64))), 'ok');
  assert.equal(await codeOf(() => checkAppName('a'.repeat(65))), 500);
  assert.equal(await codeOf(() => checkAppName('é'.repeat(32))), 'ok', '64 UTF-8 bytes');
  assert.equal(await codeOf(() => checkAppName(`${'é'.repeat(32)}a`)), 500);
  assert.equal(await codeOf(() => checkAppName('"'.repeat(33))), 500, 'each \\" is two bytes');
});

test('webhook: 1024 characters pass, 1025 are too_long (500); not a URL 501; not https 502', async () => {
  const base = 'https://example.com/';
  assert.equal(await codeOf(() => parseLsps5Webhook(base + 'a'.repeat(1024 - base.length))), 'ok');
  assert.equal(await codeOf(() => parseLsps5Webhook(base + 'a'.repeat(1025 - base.length))), 500);
  assert.equal(await codeOf(() => parseLsps5Webhook('not a url')), 501);
  assert.equal(await codeOf(() => parseLsps5Webhook('https://exämple.com/push')), 501, 'an IRI, not a URI');
  assert.equal(await codeOf(() => parseLsps5Webhook('http://example.com/push')), 502);
  assert.equal(await codeOf(() => parseLsps5Webhook('ftp://example.com/push')), 502);
  assert.equal(await codeOf(() => parseLsps5Webhook('https://example.com/push?l=1&c=best')), 'ok');
});

test('a loopback or private target is refused with -32602 naming the reason, unless allowed', async () => {
  for (const url of ['https://127.0.0.1/push', 'https://10.1.2.3/push', 'https://[::1]/push']) {
    try {
      await checkLsps5Webhook(url, strict);
      assert.fail(`${url} was accepted`);
    } catch (err) {
      assert.ok(err instanceof RpcError);
      assert.equal(err.code, -32602);
      assert.equal(err.data?.property, 'webhook');
      assert.match(String(err.data?.message), /non-public address/);
    }
  }
  const url = await checkLsps5Webhook('https://127.0.0.1:8443/push', {
    ...strict,
    allowPrivateTargets: true,
  });
  assert.equal(url.port, '8443');
  assert.equal(await codeOf(() => checkLsps5Webhook('https://user:pw@203.0.113.9/push', strict)), -32602);
});
