/**
 * The `kubernetes` hosting driver against a real kube-apiserver with etcd (no kubelet: pods are
 * never scheduled, as in controller-runtime's envtest), acting as the identity the shipped RBAC
 * Role (`deploy/kubernetes/rbac.yaml`) is bound to: a node is exactly its six objects with their
 * specs, labels, owner references and NetworkPolicy; its status is read back from the cluster;
 * deleting it leaves only the volume retention keeps, until it ends. Every call is the driver's
 * with that identity: the Role is enough (test/kubernetes-rbac.test.ts: and nothing more).
 */
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { NodeSpec } from '@blgv/core';
import {
  KubernetesOrchestrator,
  type KubernetesOrchestratorOptions,
  RETAIN_UNTIL_ANNOTATION,
} from '@blgv/hosting';
import { bindDriverRole, type KubeCluster, startKubeCluster } from '@blgv/testkit';
import { AppsV1Api, CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';

const NAMESPACE = 'lsp-nodes';
const RETENTION_MS = 90 * 86_400_000;
const NODE = 'n0123456789abcdef';
const NAME = `lnd-${NODE}`;
let cluster: KubeCluster;
let driver: KubernetesOrchestrator;
let core: CoreV1Api;
let apps: AppsV1Api;
let net: NetworkingV1Api;

const spec: NodeSpec = {
  nodeId: NODE,
  alias: 'merchant-1',
  color: '#ff9900',
  features: { keysend: true, amp: false, wumbo: false, zeroConf: false, scidAlias: false },
};

before(async () => {
  cluster = await startKubeCluster();
  const admin = cluster.kubeConfig(cluster.adminToken);
  core = admin.makeApiClient(CoreV1Api);
  apps = admin.makeApiClient(AppsV1Api);
  net = admin.makeApiClient(NetworkingV1Api);
  // The shipped Role, bound to the driver's token (in a cluster, to the LSP's service account).
  await bindDriverRole(cluster, NAMESPACE);
  driver = new KubernetesOrchestrator(driverOptions());
});

/** The driver's options, acting with the driver's token. */
function driverOptions(): KubernetesOrchestratorOptions {
  return {
    kubeConfig: cluster.kubeConfig(cluster.driverToken),
    namespace: NAMESPACE,
    image: 'lightninglabs/lnd:v0.21.3-beta',
    storageClass: 'fast-ssd',
    storageSize: '2Gi',
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
    lspPodLabels: { 'app.kubernetes.io/name': 'blgv-lsp' },
    lspNamespace: 'lsp',
    terminationGracePeriodSeconds: 120,
    chain: {
      kind: 'bitcoind',
      network: 'regtest',
      rpcHost: 'bitcoind.chain.svc:18443',
      rpcUser: 'lnd',
      rpcPass: 'pass',
      zmqPubRawBlock: 'tcp://bitcoind.chain.svc:28332',
      zmqPubRawTx: 'tcp://bitcoind.chain.svc:28333',
    },
    publicHost: '{nodeId}.nodes.example.com',
    extraArgs: [],
    retentionMs: RETENTION_MS,
    startTimeoutMs: 1_500,
  };
}

after(async () => {
  await cluster?.stop();
});

/** The names of every object of each kind in the namespace. */
async function namespaceObjects() {
  const names = (list: { items: { metadata?: { name?: string } }[] }) =>
    list.items.map((i) => i.metadata?.name ?? '').sort();
  const namespace = NAMESPACE;
  return {
    statefulSets: names(await apps.listNamespacedStatefulSet({ namespace })),
    pvcs: names(await core.listNamespacedPersistentVolumeClaim({ namespace })),
    services: names(await core.listNamespacedService({ namespace })),
    configMaps: names(await core.listNamespacedConfigMap({ namespace })),
    secrets: names(await core.listNamespacedSecret({ namespace })),
    networkPolicies: names(await net.listNamespacedNetworkPolicy({ namespace })),
    pods: names(await core.listNamespacedPod({ namespace })),
  };
}

test('creating a node makes exactly its six objects, labelled and owned, and waits while its pod is pending', async () => {
  await assert.rejects(
    driver.create(spec, AbortSignal.timeout(30_000)),
    /not running \(its pod is pending\)/,
  );
  assert.deepEqual(await namespaceObjects(), {
    statefulSets: [NAME],
    pvcs: [NAME],
    services: [NAME],
    configMaps: [NAME],
    secrets: [NAME],
    networkPolicies: [NAME],
    pods: [],
  });
  assert.equal(await driver.status(NODE, AbortSignal.timeout(5_000)), 'pending');

  const namespace = NAMESPACE;
  const set = await apps.readNamespacedStatefulSet({ name: NAME, namespace });
  assert.equal(set.spec?.replicas, 1);
  assert.equal(set.spec?.updateStrategy?.type, 'OnDelete');
  const pod = set.spec?.template.spec;
  assert.equal(pod?.terminationGracePeriodSeconds, 120);
  assert.equal(pod?.automountServiceAccountToken, false);
  const lnd = pod?.containers[0];
  assert.equal(lnd?.image, 'lightninglabs/lnd:v0.21.3-beta');
  assert.deepEqual(lnd?.args, ['--configfile=/etc/lnd/lnd.conf']);
  assert.deepEqual(JSON.parse(JSON.stringify(lnd?.resources)), {
    requests: { cpu: '100m', memory: '256Mi' },
    limits: { memory: '1Gi' },
  });
  assert.deepEqual(lnd?.readinessProbe?.exec?.command?.slice(-2), ['--no-macaroons', 'state']);
  assert.deepEqual(
    pod?.volumes?.map((v) => [
      v.name,
      v.persistentVolumeClaim?.claimName ?? v.configMap?.name ?? v.secret?.secretName,
    ]),
    [
      ['data', NAME],
      ['config', NAME],
      ['secret', NAME],
    ],
  );

  const pvc = await core.readNamespacedPersistentVolumeClaim({ name: NAME, namespace });
  assert.deepEqual(pvc.spec?.accessModes, ['ReadWriteOncePod']);
  assert.equal(pvc.spec?.storageClassName, 'fast-ssd');
  assert.equal(pvc.spec?.resources?.requests?.storage, '2Gi');
  assert.equal(
    pvc.metadata?.ownerReferences,
    undefined,
    'the volume is owned by nothing: it outlives the node',
  );

  // The rest is owned by the StatefulSet: deleting it deletes them.
  const owned = [
    await core.readNamespacedService({ name: NAME, namespace }),
    await core.readNamespacedConfigMap({ name: NAME, namespace }),
    await core.readNamespacedSecret({ name: NAME, namespace }),
    await net.readNamespacedNetworkPolicy({ name: NAME, namespace }),
  ];
  for (const o of [set, pvc, ...owned]) {
    assert.equal(o.metadata?.labels?.['blgv.io/node-id'], NODE);
    assert.equal(o.metadata?.labels?.['app.kubernetes.io/managed-by'], 'blgv-lsp');
  }
  for (const o of owned) {
    assert.deepEqual(
      o.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid]),
      [['StatefulSet', NAME, set.metadata?.uid]],
    );
  }

  const policy = owned[3] as Awaited<ReturnType<NetworkingV1Api['readNamespacedNetworkPolicy']>>;
  assert.deepEqual(policy.spec?.podSelector?.matchLabels, { 'blgv.io/node-id': NODE });
  assert.deepEqual(policy.spec?.policyTypes, ['Ingress']);
  const [fromLsp, p2p] = policy.spec?.ingress ?? [];
  assert.deepEqual(JSON.parse(JSON.stringify(fromLsp?._from)), [
    {
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'blgv-lsp' } },
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'lsp' } },
    },
  ]);
  assert.deepEqual(
    fromLsp?.ports?.map((p) => p.port),
    [10009, 8080],
  );
  assert.equal(p2p?._from, undefined, 'p2p from anywhere');
  assert.deepEqual(
    p2p?.ports?.map((p) => p.port),
    [9735],
  );

  const conf = (owned[1] as { data?: Record<string, string> }).data?.['lnd.conf'] ?? '';
  for (const line of [
    'alias=merchant-1',
    'bitcoin.node=bitcoind',
    'rpclisten=0.0.0.0:10009',
    'restlisten=0.0.0.0:8080',
    'listen=0.0.0.0:9735',
    `externalip=${NODE}.nodes.example.com:9735`,
    'accept-keysend=true',
    'wallet-unlock-password-file=/etc/lnd-secret/wallet-password',
    'wallet-unlock-allow-create=true',
  ]) {
    assert.ok(conf.split('\n').includes(line), `lnd.conf has ${line}:\n${conf}`);
  }

  // The certificate the LSP is handed names the Service and the public host, and pairs with the Secret's key.
  const endpoints = await driver.endpoints(NODE, AbortSignal.timeout(5_000));
  assert.equal(endpoints?.rpcAddress, `${NAME}.${NAMESPACE}.svc:10009`);
  assert.equal(endpoints?.restAddress, `${NAME}.${NAMESPACE}.svc:8080`);
  assert.equal(endpoints?.publicRpcAddress, `${NODE}.nodes.example.com:10009`);
  const cert = new X509Certificate(endpoints?.tlsCert ?? '');
  assert.match(cert.subjectAltName ?? '', new RegExp(`DNS:${NAME}\\.${NAMESPACE}\\.svc,`));
  assert.match(cert.subjectAltName ?? '', new RegExp(`DNS:${NODE}\\.nodes\\.example\\.com`));
  const stored = (owned[2] as { data?: Record<string, string> }).data ?? {};
  const key = Buffer.from(stored['tls.key'] ?? '', 'base64').toString();
  assert.ok(cert.checkPrivateKey(createPrivateKey(key)));
  const password = Buffer.from(stored['wallet-password'] ?? '', 'base64').toString();
  assert.match(password, /^[0-9a-f]{64}$/);
  assert.equal(
    Buffer.from((await driver.walletPassword(NODE, AbortSignal.timeout(5_000))) ?? []).toString(),
    password,
  );
  assert.ok(
    !JSON.stringify(endpoints).includes(password) && !JSON.stringify(endpoints).includes('PRIVATE KEY'),
  );

  // A creation resumed (the server died halfway) keeps every object, the Secret above all.
  await assert.rejects(driver.create(spec, AbortSignal.timeout(30_000)), /pending/);
  const again = await core.readNamespacedSecret({ name: NAME, namespace });
  assert.equal(Buffer.from(again.data?.['wallet-password'] ?? '', 'base64').toString(), password);
  assert.equal((await namespaceObjects()).secrets.length, 1);
});

test("the node's status is read back from its pod: running once ready, failed when its container cannot start", async () => {
  const namespace = NAMESPACE;
  const signal = AbortSignal.timeout(10_000);
  // No kubelet here: the test plays it, making the pod and reporting its state.
  const set = await apps.readNamespacedStatefulSet({ name: NAME, namespace });
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: `${NAME}-0`, labels: set.spec?.template?.metadata?.labels ?? {} },
      spec: set.spec?.template?.spec ?? { containers: [] },
    },
  });
  assert.equal(await driver.status(NODE, signal), 'pending', 'a pod not yet scheduled');
  const report = async (status: object) => {
    const pod = await core.readNamespacedPod({ name: `${NAME}-0`, namespace });
    await core.replaceNamespacedPodStatus({ name: `${NAME}-0`, namespace, body: { ...pod, status } });
  };
  await report({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] });
  assert.equal(await driver.status(NODE, signal), 'pending', 'lnd not answering yet');
  await report({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] });
  assert.equal(await driver.status(NODE, signal), 'running');
  await driver.start(NODE, signal); // running already: nothing to do
  await report({
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'False' }],
    containerStatuses: [
      {
        name: 'lnd',
        image: 'lightninglabs/lnd:v0.21.3-beta',
        imageID: '',
        ready: false,
        restartCount: 5,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
      },
    ],
  });
  assert.equal(await driver.status(NODE, signal), 'failed');
  await core.deleteNamespacedPod({ name: `${NAME}-0`, namespace, gracePeriodSeconds: 0 });
});

test('stop scales the node to zero and start back to one', async () => {
  const signal = AbortSignal.timeout(20_000);
  await driver.stop(NODE, signal);
  assert.equal(await driver.status(NODE, signal), 'stopped');
  assert.equal(
    (await apps.readNamespacedStatefulSet({ name: NAME, namespace: NAMESPACE })).spec?.replicas,
    0,
  );
  await assert.rejects(driver.start(NODE, signal), /pending/);
  assert.equal(
    (await apps.readNamespacedStatefulSet({ name: NAME, namespace: NAMESPACE })).spec?.replicas,
    1,
  );
  assert.equal(await driver.status(NODE, signal), 'pending');
});

test("a start writes the node's lnd.conf again from the settings now, from the spec it was made with", async () => {
  const signal = AbortSignal.timeout(20_000);
  const conf = async () =>
    (await core.readNamespacedConfigMap({ name: NAME, namespace: NAMESPACE })).data?.['lnd.conf'] ?? '';
  const before = await conf();
  assert.doesNotMatch(before, /wtclient\.active/, 'made without a tower client');
  // The same driver after the operator's change: the nodes now back up to a watchtower.
  const changed = new KubernetesOrchestrator({ ...driverOptions(), extraArgs: ['--wtclient.active'] });
  await driver.stop(NODE, signal);
  await assert.rejects(changed.start(NODE, signal), /pending/);
  const after = await conf();
  assert.match(after, /^wtclient\.active=true$/m, 'written again with the tower client');
  assert.equal(
    after.replace('wtclient.active=true\n', ''),
    before,
    'the rest as the node was made: its alias, colour and features from the spec',
  );
  await changed.start(NODE, signal).catch(() => undefined);
  assert.equal(await conf(), after, 'unchanged settings: nothing written');
});

test('deleting a node leaves only its volume, kept until the retention period ends', async () => {
  const signal = AbortSignal.timeout(20_000);
  const chunks: Uint8Array[] = [];
  for await (const chunk of driver.exportData(NODE, signal)) chunks.push(chunk);
  const archive = gunzipSync(Buffer.concat(chunks)).toString('latin1');
  assert.match(archive, new RegExp(`${NODE}/kubernetes\\.json`));
  assert.match(archive, /"persistentVolumeClaim": "lnd-n0123456789abcdef"/);
  assert.doesNotMatch(
    archive,
    /wallet-password"|PRIVATE KEY/,
    "the Secret's values are not in the driver's record",
  );

  const before = Date.now();
  await driver.destroy(NODE, signal);
  assert.deepEqual(await namespaceObjects(), {
    statefulSets: [],
    pvcs: [NAME],
    services: [],
    configMaps: [],
    secrets: [],
    networkPolicies: [],
    pods: [],
  });
  assert.equal(await driver.status(NODE, signal), 'missing');
  assert.equal(await driver.endpoints(NODE, signal), undefined);
  const pvc = await core.readNamespacedPersistentVolumeClaim({ name: NAME, namespace: NAMESPACE });
  const until = Date.parse(pvc.metadata?.annotations?.[RETAIN_UNTIL_ANNOTATION] ?? '');
  assert.ok(until >= before + RETENTION_MS && until <= Date.now() + RETENTION_MS);
  await driver.destroy(NODE, signal); // gone already: nothing to do

  assert.equal(await driver.purgeRetained(new Date(until - 1_000)), 0, 'kept within the retention period');
  assert.deepEqual((await namespaceObjects()).pvcs, [NAME]);
  assert.equal(await driver.purgeRetained(new Date(until + 1_000)), 1);
  // Deleted: the cluster's pvc-protection controller (not run here) removes it once no pod uses it.
  const deleted = await core.readNamespacedPersistentVolumeClaim({ name: NAME, namespace: NAMESPACE });
  assert.ok(deleted.metadata?.deletionTimestamp);
  assert.deepEqual(deleted.metadata?.finalizers, ['kubernetes.io/pvc-protection']);
  assert.equal(await driver.purgeRetained(new Date(until + 1_000)), 0, 'deleted once');
});
