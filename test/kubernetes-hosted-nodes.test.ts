/**
 * Hosted nodes on the `kubernetes` driver: the local driver's creation story (test/hosted-nodes
 * .test.ts), told through the SDK to an LSP whose driver makes the nodes in a real
 * kube-apiserver, up to the point where a pod would run. There is no kubelet (as in
 * controller-runtime's envtest), so the node's pod never runs: while the tenant waits the node
 * is `creating` and its objects are in the cluster, its pod `pending`; when the driver gives up
 * the creation fails, the month is refunded, and only the node's volume is left, for the
 * retention period. What the Secret holds never reaches the tenant.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sat } from '@blgv/core';
import { KubernetesOrchestrator, NODE_ID_LABEL, RETAIN_UNTIL_ANNOTATION } from '@blgv/hosting';
import type { LSPClient } from '@blgv/lsp-client';
import {
  bindDriverRole,
  type HostingLsp,
  type KubeCluster,
  type Network,
  startHostingLsp,
  startKubeCluster,
  startNetwork,
  topUp,
} from '@blgv/testkit';
import { AppsV1Api, CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';

const NAMESPACE = 'lsp-nodes';
const MONTH = 50_000;
const RETENTION_SECONDS = 7 * 86_400;
let net: Network;
let cluster: KubeCluster;
let hosting: HostingLsp;
let tenant: LSPClient;
let kubeconfigDir: string;

before(async () => {
  [net, cluster] = await Promise.all([startNetwork(), startKubeCluster()]);
  // The shipped Role, bound to the driver's identity: the LSP runs with nothing more.
  await bindDriverRole(cluster, NAMESPACE);
  kubeconfigDir = mkdtempSync(join(tmpdir(), 'blgv-kubeconfig-'));
  const kubeconfigPath = join(kubeconfigDir, 'config');
  writeFileSync(kubeconfigPath, cluster.kubeconfigYaml(cluster.driverToken), { mode: 0o600 });
  hosting = await startHostingLsp(net, {
    driver: 'kubernetes',
    archiveRetentionSeconds: RETENTION_SECONDS,
    // A pod never runs here: the driver stops waiting for it soon.
    kubernetes: { kubeconfigPath, namespace: NAMESPACE, startTimeoutMs: 3_000 },
  });
  tenant = (await hosting.lsp.newTenant('merchant')).client;
  await net.h.openChannel(net.alice, net.lsp, sat(3_000_000));
  await topUp(net.h, net.alice, tenant, 1_000_000);
});

after(async () => {
  await hosting?.stop();
  await cluster?.stop();
  await net?.h.stop();
  if (kubeconfigDir) rmSync(kubeconfigDir, { recursive: true, force: true });
});

test('a tenant asks for a node: it is made in the cluster and pending while no pod runs; then refunded, only its volume kept', async () => {
  const admin = cluster.kubeConfig(cluster.adminToken);
  const core = admin.makeApiClient(CoreV1Api);
  const apps = admin.makeApiClient(AppsV1Api);
  const network = admin.makeApiClient(NetworkingV1Api);
  const namespace = NAMESPACE;
  const config = {
    alias: 'merchant-1',
    color: '#ff9900',
    channels: [{ capacity: 500_000 }],
    autopilot: { enabled: false },
  };
  const quote = await tenant.nodes.quote(config);
  assert.equal(quote.monthlyFee, MONTH);
  assert.equal(quote.channels.length, 1);
  const before = (await tenant.getBalance()).balance;

  const creating = tenant.nodes.create(config).then(
    () => assert.fail('a node whose pod never runs cannot be created'),
    (err: unknown) => err as { status?: number; code?: string; message?: string },
  );
  const nodeId = await net.h.waitFor(
    async () => (await tenant.nodes.list()).nodes.find((n) => n.status === 'creating')?.nodeId,
    { what: 'the node listed as creating' },
  );
  const name = `lnd-${nodeId}`;
  const selector = { namespace, labelSelector: `${NODE_ID_LABEL}=${nodeId}` };
  await net.h.waitFor(async () => (await network.listNamespacedNetworkPolicy(selector)).items.length === 1, {
    what: "the node's objects in the cluster",
  });
  assert.equal((await tenant.getBalance()).balance, before - MONTH, 'the first month charged');
  const shown = await tenant.nodes.get(nodeId);
  assert.equal(shown.status, 'creating');
  assert.equal(shown.process, 'pending', 'the tenant sees the pod pending, read back from the cluster');
  const names = async () => ({
    statefulSets: (await apps.listNamespacedStatefulSet(selector)).items.map((i) => i.metadata?.name),
    pvcs: (await core.listNamespacedPersistentVolumeClaim(selector)).items.map((i) => i.metadata?.name),
    services: (await core.listNamespacedService(selector)).items.map((i) => i.metadata?.name),
    configMaps: (await core.listNamespacedConfigMap(selector)).items.map((i) => i.metadata?.name),
    secrets: (await core.listNamespacedSecret(selector)).items.map((i) => i.metadata?.name),
    networkPolicies: (await network.listNamespacedNetworkPolicy(selector)).items.map((i) => i.metadata?.name),
  });
  assert.deepEqual(await names(), {
    statefulSets: [name],
    pvcs: [name],
    services: [name],
    configMaps: [name],
    secrets: [name],
    networkPolicies: [name],
  });
  const conf = (await core.readNamespacedConfigMap({ name, namespace })).data?.['lnd.conf'] ?? '';
  assert.match(conf, /^alias=merchant-1$/m);
  assert.match(conf, /^color=#ff9900$/m);
  const secret = (await core.readNamespacedSecret({ name, namespace })).data ?? {};
  const password = Buffer.from(secret['wallet-password'] ?? '', 'base64').toString();
  const tlsKey = Buffer.from(secret['tls.key'] ?? '', 'base64').toString();
  assert.match(password, /^[0-9a-f]{64}$/);
  // Read back from the cluster: asked to run, no pod.
  const reader = new KubernetesOrchestrator({
    kubeConfig: cluster.kubeConfig(cluster.driverToken),
    namespace,
    image: 'unused',
    storageSize: '1Gi',
    resources: {},
    lspPodLabels: {},
    terminationGracePeriodSeconds: 10,
    chain: net.h.btcd.chain,
    publicHost: 'unused',
    extraArgs: [],
    retentionMs: 0,
  });
  assert.equal(await reader.status(nodeId, AbortSignal.timeout(5_000)), 'pending');
  const seen = await tenant.nodes.get(nodeId);
  assert.equal(seen.status, 'creating');

  // The driver gives up waiting for the pod: the creation fails and the month is refunded.
  const refused = await creating;
  assert.equal(refused.status, 503);
  assert.equal(refused.code, 'lightning_unavailable');
  assert.match(refused.message ?? '', /its pod is pending/);
  const failed = await tenant.nodes.get(nodeId);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.seed, undefined);
  assert.equal((await tenant.getBalance()).balance, before, 'refunded');

  // Nothing the tenant was answered holds what the Secret held.
  const answers = JSON.stringify([refused.message, refused, seen, failed, await tenant.nodes.list()]);
  assert.ok(!answers.includes(password), 'the wallet password is not in any answer');
  assert.ok(!answers.includes(tlsKey.split('\n')[1] ?? 'x'), 'nor the TLS key');

  // Deleted but its volume, kept for the retention period.
  assert.deepEqual(await names(), {
    statefulSets: [],
    pvcs: [name],
    services: [],
    configMaps: [],
    secrets: [],
    networkPolicies: [],
  });
  const pvc = await core.readNamespacedPersistentVolumeClaim({ name, namespace });
  const until = Date.parse(pvc.metadata?.annotations?.[RETAIN_UNTIL_ANNOTATION] ?? '');
  assert.ok(
    Math.abs(until - (Date.now() + RETENTION_SECONDS * 1000)) < 60_000,
    'kept for the retention period',
  );
  assert.equal(await reader.status(nodeId, AbortSignal.timeout(5_000)), 'missing');
});
