import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { loadKubeConfig, podStatus } from './cluster.ts';
import {
  lndConf,
  type NodeObjectSettings,
  objectName,
  specFromJson,
  specJson,
  statefulSet,
  tlsNames,
} from './node-objects.ts';

const settings: NodeObjectSettings = {
  namespace: 'lsp-nodes',
  image: 'lightninglabs/lnd:v0.21.3-beta',
  storageSize: '10Gi',
  resources: {},
  lspPodLabels: { app: 'lsp' },
  terminationGracePeriodSeconds: 120,
  chain: {
    kind: 'bitcoind',
    network: 'signet',
    rpcHost: 'bitcoind:38332',
    rpcUser: 'u',
    rpcPass: 'p',
    zmqPubRawBlock: 'tcp://bitcoind:28332',
    zmqPubRawTx: 'tcp://bitcoind:28333',
  },
  publicHost: 'n1.nodes.example.com',
  extraArgs: ['--debuglevel=debug'],
};
const spec = {
  nodeId: 'n1',
  alias: 'shop',
  color: '#112233',
  features: { keysend: false, amp: true, wumbo: false, zeroConf: true, scidAlias: false },
  autopilot: { maxChannels: 3, allocationPercent: 60, minChannelSize: 20_000n, maxChannelSize: 1_000_000n },
};

test('lnd.conf holds the flags a local node gets, as ini lines, its data on the volume, the Secret paths, no lnddir', () => {
  const lines = lndConf(spec, settings).split('\n');
  for (const line of [
    '[Application Options]',
    'alias=shop',
    'bitcoin.signet=true',
    'bitcoind.rpchost=bitcoind:38332',
    'rpclisten=0.0.0.0:10009',
    'externalip=n1.nodes.example.com:9735',
    'accept-amp=true',
    'protocol.zero-conf=true',
    'autopilot.active=true',
    'autopilot.allocation=0.60',
    'autopilot.heuristic=externalscore:0.95',
    'autopilot.heuristic=preferential:0.05',
    'debuglevel=debug',
    'datadir=/data/lnd/data',
    'tlscertpath=/etc/lnd-secret/tls.cert',
    'wallet-unlock-password-file=/etc/lnd-secret/wallet-password',
  ]) {
    assert.ok(lines.includes(line), line);
  }
  assert.ok(!lines.some((l) => l.startsWith('lnddir=') || l.startsWith('--')));
  assert.equal(
    statefulSet(spec, settings).spec?.template.spec?.containers[0]?.readinessProbe?.exec?.command?.[1],
    '--network=signet',
  );
});

test("objects are named after the node, which must be a DNS label; the certificate names the node's Service", () => {
  assert.equal(objectName('n0123abcd'), 'lnd-n0123abcd');
  assert.throws(() => objectName('N_1'), /cannot name Kubernetes objects/);
  assert.deepEqual(tlsNames('n1', 'ns', 'n1.example.com'), [
    'lnd-n1',
    'lnd-n1.ns',
    'lnd-n1.ns.svc',
    'lnd-n1.ns.svc.cluster.local',
    'localhost',
    '127.0.0.1',
    'n1.example.com',
  ]);
});

test("a pod's state: no pod or not ready is pending, ready is running, a crash or a missing image is failed", () => {
  const pod = (status: V1Pod['status']): V1Pod => ({ status });
  assert.equal(podStatus(undefined), 'pending');
  assert.equal(podStatus(pod({ phase: 'Pending' })), 'pending');
  assert.equal(
    podStatus(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] })),
    'pending',
  );
  assert.equal(
    podStatus(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] })),
    'running',
  );
  assert.equal(podStatus(pod({ phase: 'Failed' })), 'failed');
  const waiting = (reason: string) =>
    pod({
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'lnd',
          image: 'i',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason } },
        },
      ],
    });
  assert.equal(podStatus(waiting('ImagePullBackOff')), 'failed');
  assert.equal(podStatus(waiting('CrashLoopBackOff')), 'failed');
  assert.equal(podStatus(waiting('ContainerCreating')), 'pending');
});

test('outside a pod, the driver needs a kubeconfig file', () => {
  const inPod = process.env.KUBERNETES_SERVICE_HOST;
  delete process.env.KUBERNETES_SERVICE_HOST;
  try {
    assert.throws(() => loadKubeConfig(), /kubeconfigPath is unset and this is not a pod/);
  } finally {
    if (inPod !== undefined) process.env.KUBERNETES_SERVICE_HOST = inPod;
  }
});

test("the spec kept on a node's ConfigMap comes back as it was, the autopilot's sizes as bigints", () => {
  assert.deepEqual(specFromJson(specJson(spec)), spec);
  const { autopilot: _, ...manual } = spec;
  assert.deepEqual(specFromJson(specJson(manual)), manual);
  for (const bad of [undefined, '', 'not json', '{"alias":"x"}', '[]'])
    assert.equal(specFromJson(bad), undefined, `${bad}: no spec`);
});
