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

test("DATABASE_URL keeps the file's pool settings", () => {
  const file = JSON.stringify({
    database: { kind: 'postgres', url: 'postgres://file/db', statementTimeoutMs: 5_000 },
  });
  const c = loadConfig(
    { BLGV_CONFIG: '/etc/lsp.json', DATABASE_URL: 'postgres://env/db', BLGV_SECRETS_KEY: KEY },
    () => file,
  );
  assert.deepEqual(c.database, { kind: 'postgres', url: 'postgres://env/db', statementTimeoutMs: 5_000 });
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

test("an open deadline the hold invoice's CLTV cannot cover is refused, naming both settings", () => {
  const c = loadConfig({});
  assert.equal(c.lsps1.holdInvoiceCltv, 144);
  assert.equal(c.lsps1.lndHoldExpiryDelta, 18);
  // 144 - 18 - 6 = 120 blocks, 36,000 s at 5 minutes a block: 35,880 s once accept and sign are counted.
  const ok = JSON.stringify({ lsps1: { openDeadlineSeconds: 35_880 } });
  assert.equal(loadConfig({ BLGV_CONFIG: 'c.json' }, () => ok).lsps1.openDeadlineSeconds, 35_880);
  const tooLong = JSON.stringify({ lsps1: { openDeadlineSeconds: 35_881 } });
  try {
    loadConfig({ BLGV_CONFIG: 'c.json' }, () => tooLong);
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const [problem] = err.problems;
    assert.match(
      problem ?? '',
      /^\/lsps1: lsps1\.openDeadlineSeconds 35881 .* lsps1\.holdInvoiceCltv 144 can cover/,
    );
    assert.match(
      problem ?? '',
      /raise lsps1\.holdInvoiceCltv to at least 145 or lower lsps1\.openDeadlineSeconds to at most 35880/,
    );
  }
  // A longer CLTV covers it; so does a shorter open timeout.
  const longer = JSON.stringify({ lsps1: { openDeadlineSeconds: 35_881, holdInvoiceCltv: 145 } });
  assert.equal(loadConfig({ BLGV_CONFIG: 'c.json' }, () => longer).lsps1.holdInvoiceCltv, 145);
  // LND told to cancel earlier leaves less room.
  const earlier = JSON.stringify({ lsps1: { openDeadlineSeconds: 35_880, lndHoldExpiryDelta: 40 } });
  assert.throws(() => loadConfig({ BLGV_CONFIG: 'c.json' }, () => earlier), /lndHoldExpiryDelta 40/);
  // A CLTV below LND's minimum is refused by the schema.
  const tiny = JSON.stringify({ lsps1: { holdInvoiceCltv: 20 } });
  assert.throws(() => loadConfig({ BLGV_CONFIG: 'c.json' }, () => tiny), /\/lsps1\/holdInvoiceCltv/);
});

test("hosting.watchtower is the LSP's tower by default, off, or a tower's pubkey@host:port; anything else is named", () => {
  assert.equal(loadConfig({}).hosting.watchtower, 'lsp');
  const tower = `02${'ab'.repeat(32)}@tower.example:9911`;
  for (const watchtower of ['off', tower]) {
    const file = JSON.stringify({ hosting: { watchtower } });
    assert.equal(loadConfig({ BLGV_CONFIG: 'c.json' }, () => file).hosting.watchtower, watchtower);
  }
  for (const bad of ['on', `${'ab'.repeat(33)}@tower.example:9911`, `02${'ab'.repeat(32)}@tower.example`]) {
    const file = JSON.stringify({ hosting: { watchtower: bad } });
    assert.throws(() => loadConfig({ BLGV_CONFIG: 'c.json' }, () => file), /\/hosting\/watchtower/);
  }
});
