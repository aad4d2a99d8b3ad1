/**
 * Story: a newcomer runs `blgv-lsp start` (what `npm start` runs) with nothing configured:
 * it brings up regtest, the LSP's node, a demo client with channels, PGlite and the server,
 * prints where everything is, answers /healthz, runs the README's walk-through (the spec's
 * integration examples and a hosted node, `npm run demo`) to a clean audit, and Ctrl-C leaves no
 * process behind (hosted nodes included).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { LSPClient } from '@blgv/lsp-client';
import { waitFor } from '@blgv/regtest';

const cli = join(import.meta.dirname, '..', 'packages', 'cli', 'src', 'main.ts');

function processesUsing(dir: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout;
  return ps.split('\n').filter((l) => l.includes(dir) && !l.includes('ps -eo'));
}

test('blgv-lsp start brings the LSP up on regtest + PGlite and Ctrl-C stops it all', async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, BLGV_PORT: '0', LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.LND_RPC_ADDRESS;
  const proc = spawn(process.execPath, [cli, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  proc.stderr.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  // Whatever fails below, the server does not outlive the test.
  t.after(() => {
    if (proc.exitCode === null) proc.kill('SIGINT');
  });

  await waitFor(() => out.includes('Press Ctrl-C to stop.'), {
    what: `the startup banner; output so far:\n${out}`,
    timeoutMs: 120_000,
  });
  const url = /API:\s+(http:\/\/\S+)/.exec(out)?.[1];
  const node = /LSP node:\s+(0[23][0-9a-f]{64})@(127\.0\.0\.1:\d+)/.exec(out);
  const client = /Demo client:\s+(0[23][0-9a-f]{64})@/.exec(out);
  const dir = /Data\/logs:\s+(\S+)/.exec(out)?.[1];
  assert.ok(url, 'prints the API URL');
  assert.ok(node, "prints the LSP node's pubkey@host:port");
  assert.ok(client, "prints the demo client's pubkey");
  assert.ok(dir, 'prints where regtest data lives');
  assert.ok(processesUsing(dir).length >= 3, 'btcd and two lnd nodes run');

  const res = await fetch(`${url}/healthz`);
  assert.equal(res.status, 200);
  const health = (await res.json()) as {
    status: string;
    lightning: { pubkey: string; syncedToChain: boolean };
    database: { ok: boolean; kind: string };
  };
  assert.equal(health.status, 'ok');
  assert.equal(health.lightning.pubkey, node[1]);
  assert.equal(health.lightning.syncedToChain, true);
  assert.deepEqual(health.database, { ok: true, kind: 'pglite' });

  // The admin key printed once works, and the API documents itself.
  const keyId = /key id:\s+(key_\S+)/.exec(out)?.[1];
  const secret = /secret:\s+(sk_\S+)/.exec(out)?.[1];
  assert.ok(keyId && secret, 'prints an admin API key');
  const admin = new LSPClient({ endpoint: url, apiKey: keyId, apiSecret: secret });
  assert.equal((await admin.getFees()).channelOpening.baseFee, 1000);
  const docs = (await (await fetch(`${url}/docs/json`)).json()) as { paths: Record<string, unknown> };
  assert.ok(docs.paths['/v1/channels'] && docs.paths['/lsps'], 'OpenAPI lists the routes');

  // The README's walk-through: the spec's two integration examples against this LSP.
  const demoFile = /Walk-through:\s+npm run demo -- (\S+)/.exec(out)?.[1];
  assert.ok(demoFile, 'prints the walk-through command');
  const demo = spawnSync(
    process.execPath,
    [join(import.meta.dirname, '..', 'scripts', 'demo.ts'), demoFile],
    {
      encoding: 'utf8',
      timeout: 180_000,
    },
  );
  assert.equal(demo.status, 0, `${demo.stdout}\n${demo.stderr}`);
  assert.match(demo.stdout, /402 for the channel/);
  // 2,000 opening fee + 100,000 push + 330 network fee (165 vB at the demo chain's 2 sat/vB).
  assert.match(demo.stdout, /charged 102,330 sat \(the quote was 102,330 sat\)/);
  assert.match(demo.stdout, /payment [0-9a-f]{64}: succeeded/);
  assert.match(demo.stdout, /hosted node n[0-9a-f]{16}: running/);
  assert.match(demo.stdout, /getinfo with its macaroon: demo-merchant 0[23][0-9a-f]{64}/);
  assert.ok(
    processesUsing(dir).some((l) => l.includes('--alias=demo-merchant')),
    "the hosted node's lnd runs under the demo's directory",
  );
  // The start-up's check that the LSP can pay the client is a probe, not a failed payment.
  assert.match(
    demo.stdout,
    /payment success 100 % \(tenants' payments: 1 succeeded, 0 failed; probes and checks, not counted: [1-9]/,
  );
  assert.match(demo.stdout, /audit: clean/);

  proc.kill('SIGINT');
  await exited;
  await waitFor(() => processesUsing(dir).length === 0, {
    what: `every process under ${dir} to exit`,
    timeoutMs: 30_000,
  });
});
