/**
 * What a `kubernetes` driver's pod would run, run here without a cluster: the real lnd with the
 * node's `lnd.conf` (ConfigMap) and TLS pair and wallet password (Secret) as the driver writes
 * them, the pod's mount paths and ports mapped to a temporary directory and free ports. lnd
 * takes the configuration, serves the Secret's certificate, the readiness probe's command says
 * ready, the LSP creates the wallet with the password the driver hands it, and after a restart
 * lnd unlocks the wallet by itself from the password file, as lndinit sets nodes up.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { NodeAccess } from '@blgv/core';
import {
  configMap,
  type NodeObjectSettings,
  ownedBy,
  secret,
  selfSignedCert,
  statefulSet,
} from '@blgv/hosting';
import { lndNodeWallets } from '@blgv/lnd';
import {
  freePort,
  lightningBinary,
  type ManagedProcess,
  regtestLightningBinary,
  startProcess,
} from '@blgv/node-runner';
import { Harness } from '@blgv/regtest';

const run = promisify(execFile);
let h: Harness;
let dir: string;

before(async () => {
  h = await Harness.start();
  dir = mkdtempSync(join(tmpdir(), 'blgv-lnd-pod-'));
});

after(async () => {
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("lnd runs on the driver's lnd.conf and Secret, is ready by the probe, and unlocks itself after a restart", async () => {
  const nodeId = 'n00112233aabbccdd';
  const settings: NodeObjectSettings = {
    namespace: 'lsp-nodes',
    image: 'unused',
    storageSize: '1Gi',
    resources: {},
    lspPodLabels: {},
    terminationGracePeriodSeconds: 30,
    chain: h.btcd.chain,
    // lnd resolves the announced host when it starts.
    publicHost: '127.0.0.1',
    extraArgs: [],
  };
  const spec = {
    nodeId,
    alias: 'pod-node',
    color: '#00aa00',
    features: { keysend: true, amp: false, wumbo: false, zeroConf: false, scidAlias: false },
  };
  const set = statefulSet(spec, settings);
  const owners = ownedBy({ ...set, metadata: { ...set.metadata, uid: 'uid' } });
  const tls = await selfSignedCert('pod', ['localhost', '127.0.0.1']);
  const password = 'f00d'.repeat(16);
  const made = secret(
    nodeId,
    settings,
    { tlsCert: tls.cert, tlsKey: tls.key, walletPassword: password },
    owners,
  );
  const conf = configMap(spec, settings, tls.cert, owners).data?.['lnd.conf'] ?? '';

  // The pod's mounts and ports, mapped to this machine.
  const [rpc, rest, p2p] = [await freePort(), await freePort(), await freePort()];
  const paths = { secret: join(dir, 'secret'), data: join(dir, 'data'), config: join(dir, 'config') };
  const local = (text: string) =>
    text
      .replaceAll('/etc/lnd-secret', paths.secret)
      .replaceAll('/data/lnd', join(paths.data, 'lnd'))
      .replaceAll('/etc/lnd', paths.config)
      .replaceAll('0.0.0.0:10009', `127.0.0.1:${rpc}`)
      .replaceAll('0.0.0.0:8080', `127.0.0.1:${rest}`)
      .replaceAll('0.0.0.0:9735', `127.0.0.1:${p2p}`)
      .replaceAll('localhost:10009', `localhost:${rpc}`);
  for (const d of Object.values(paths)) mkdirSync(d, { recursive: true });
  for (const [key, value] of Object.entries(made.stringData ?? {})) {
    writeFileSync(join(paths.secret, key), value, { mode: 0o400 });
  }
  writeFileSync(join(paths.config, 'lnd.conf'), local(conf));
  const container = set.spec?.template.spec?.containers[0];
  const args = (container?.args ?? []).map(local);
  const probe = (container?.readinessProbe?.exec?.command ?? []).map(local);
  assert.equal(probe[0], 'lncli');

  const lnd = regtestLightningBinary('lnd');
  const start = () => startProcess(`pod-${nodeId}`, lnd, args, join(dir, 'lnd.out.log'));
  const ready = async () =>
    run(lightningBinary('lncli'), probe.slice(1)).then(
      () => true,
      () => false,
    );
  let proc: ManagedProcess = start();
  try {
    await h.waitFor(ready, { what: 'the readiness probe to pass', timeoutMs: 60_000 });
    const access: NodeAccess = { rpcAddress: `127.0.0.1:${rpc}`, tlsCert: tls.cert };
    assert.equal(await lndNodeWallets.state(access, AbortSignal.timeout(10_000)), 'absent');
    // What KubernetesOrchestrator.walletPassword hands the LSP: the Secret's text.
    await lndNodeWallets.create(access, Buffer.from(password), AbortSignal.timeout(60_000));
    await h.waitFor(
      async () => (await lndNodeWallets.state(access, AbortSignal.timeout(5_000))) === 'active',
      {
        what: 'the new wallet active',
      },
    );

    await proc.stop(30_000);
    proc = start();
    // Nobody unlocks it: lnd reads the password file itself.
    await h.waitFor(
      async () => {
        const state = await lndNodeWallets.state(access, AbortSignal.timeout(5_000));
        return state === 'active';
      },
      { what: 'the restarted node unlocked by itself', timeoutMs: 60_000 },
    );
    assert.ok(await ready());
    assert.match(
      readFileSync(join(dir, 'lnd.out.log'), 'utf8'),
      /Attempting automatic wallet unlock with password provided in file/,
    );
  } finally {
    await proc.stop(30_000);
  }
});
