import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

test('with the regtest network the database defaults to in-memory PGlite', () => {
  assert.deepEqual(loadConfig({}).database, { kind: 'pglite', dataDir: 'memory' });
});

const KEY = 'ab'.repeat(32);

test('defaults: regtest lightning, PGlite, 127.0.0.1:8080, info logs, the spec fee schedule', () => {
  const c = loadConfig({ BLGV_DATA_DIR: '/tmp/x', BLGV_SECRETS_KEY: KEY });
  assert.deepEqual(c.server, { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(c.database, { kind: 'pglite', dataDir: '/tmp/x' });
  assert.deepEqual(c.lightning, { mode: 'regtest' });
  assert.equal(c.logLevel, 'info');
  assert.deepEqual(c.fees.channelOpening, { baseFee: 1000, capacityFeePpm: 1000 });
  assert.deepEqual(c.fees.routing, { baseFeeMsat: 1000, feeRatePpm: 100 });
  assert.equal(c.channels.batchWindowMs, 1000);
});

test('a persistent database needs a secrets key; inverted limits are refused', () => {
  assert.throws(() => loadConfig({ BLGV_DATA_DIR: '/tmp/x' }), /secretsKey: required/);
  const file = JSON.stringify({ channels: { minCapacity: 10, maxCapacity: 5 } });
  assert.throws(() => loadConfig({ BLGV_CONFIG: 'c.json' }, () => file), /minCapacity is above maxCapacity/);
});

test('environment selects Postgres and an existing LND', () => {
  const c = loadConfig({
    DATABASE_URL: 'postgres://u@db:5432/lsp',
    LND_RPC_ADDRESS: 'lnd:10009',
    LND_TLS_CERT_PATH: '/lnd/tls.cert',
    LND_MACAROON_PATH: '/lnd/admin.macaroon',
    BLGV_PORT: '9000',
    BLGV_SECRETS_KEY: KEY,
  });
  assert.deepEqual(c.database, { kind: 'postgres', url: 'postgres://u@db:5432/lsp' });
  assert.deepEqual(c.lightning, {
    mode: 'lnd',
    rpcAddress: 'lnd:10009',
    tlsCertPath: '/lnd/tls.cert',
    macaroonPath: '/lnd/admin.macaroon',
  });
  assert.equal(c.server.port, 9000);
});

test('the file is read and the environment wins over it', () => {
  const file = JSON.stringify({ server: { host: '0.0.0.0', port: 7000 }, logLevel: 'debug' });
  const c = loadConfig(
    { BLGV_CONFIG: '/etc/lsp.json', BLGV_PORT: '7001', BLGV_DATA_DIR: '/d', BLGV_SECRETS_KEY: KEY },
    () => file,
  );
  assert.equal(c.server.host, '0.0.0.0');
  assert.equal(c.server.port, 7001);
  assert.equal(c.logLevel, 'debug');
});

test('every problem is named at once', () => {
  try {
    loadConfig({ BLGV_PORT: 'eighty', LND_RPC_ADDRESS: 'lnd:10009', LOG_LEVEL: 'loud', BLGV_DATA_DIR: '/d' });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    assert.match(text, /\/server\/port/);
    assert.match(text, /\/lightning/);
    assert.match(text, /\/logLevel/);
  }
});

test('an unreadable or non-object config file is a clear error', () => {
  assert.throws(
    () =>
      loadConfig({ BLGV_CONFIG: '/nope.json' }, () => {
        throw new Error('ENOENT');
      }),
    /BLGV_CONFIG \/nope.json: ENOENT/,
  );
  assert.throws(() => loadConfig({ BLGV_CONFIG: '/a.json' }, () => '[1]'), /JSON object/);
});

test('HTTPS takes a certificate and its key; one without the other is named', () => {
  const c = loadConfig({ BLGV_TLS_CERT: '/etc/lsp/cert.pem', BLGV_TLS_KEY: '/etc/lsp/key.pem' });
  assert.deepEqual(c.server.tls, { certPath: '/etc/lsp/cert.pem', keyPath: '/etc/lsp/key.pem' });
  assert.throws(() => loadConfig({ BLGV_TLS_CERT: '/etc/lsp/cert.pem' }), /\/server\/tls\/keyPath/);
});
