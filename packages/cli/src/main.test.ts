import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const MAIN = join(import.meta.dirname, 'main.ts');

/** Preloaded into the CLI: resolving any module of the test harness fails loudly. */
const NO_HARNESS = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    if (resolved.url.includes('/packages/regtest/')) throw new Error('the test harness was loaded: ' + resolved.url);
    return resolved;
  },
});`)}`;

/** Runs `blgv-lsp args` with `env` (and no LND or database from the caller's environment). */
function cli(args: string[], env: Record<string, string> = {}) {
  const base: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', BLGV_PORT: '0', ...env };
  for (const name of [
    'LND_RPC_ADDRESS',
    'LND_TLS_CERT_PATH',
    'LND_MACAROON_PATH',
    'DATABASE_URL',
    'BLGV_CONFIG',
  ])
    if (!(name in env)) delete base[name];
  return spawnSync(process.execPath, ['--import', NO_HARNESS, MAIN, ...args], {
    env: base,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('blgv-lsp start pointed at an LND never loads the test harness', () => {
  const missing = join(import.meta.dirname, 'no-such-dir');
  const r = cli(['start'], {
    LND_RPC_ADDRESS: '127.0.0.1:1',
    LND_TLS_CERT_PATH: join(missing, 'tls.cert'),
    LND_MACAROON_PATH: join(missing, 'admin.macaroon'),
    BLGV_SECRETS_KEY: 'ab'.repeat(32),
  });
  // It gets as far as reading the LND's certificate, which is not there.
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /ENOENT.*tls\.cert/);
  assert.doesNotMatch(r.stderr, /test harness/);

  const help = cli(['help']);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /usage: blgv-lsp <command>/);
});

test('blgv-lsp start with no LND configured loads the harness for its embedded network', () => {
  // The preloaded hook refuses the harness, so the embedded network fails to start, and says why.
  const r = cli(['start']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /the test harness was loaded: .*packages\/regtest\/src\/index\.ts/);
});
