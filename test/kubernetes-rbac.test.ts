/**
 * The driver's RBAC Role (`deploy/kubernetes/rbac.yaml`) on a real kube-apiserver: bound to the
 * driver's identity it allows nothing beyond what the driver does (test/kubernetes-driver.test.ts
 * shows it is enough, every call there made with it), and the shipped manifests are accepted by
 * the API server, give the LSP's service account that Role, and configure the LSP validly.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot } from '@blgv/node-runner';
import { loadConfig } from '@blgv/server';
import { bindDriverRole, type KubeCluster, startKubeCluster } from '@blgv/testkit';
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  loadAllYaml,
} from '@kubernetes/client-node';

const NAMESPACE = 'lsp-nodes';
let cluster: KubeCluster;

before(async () => {
  cluster = await startKubeCluster();
  await bindDriverRole(cluster, NAMESPACE);
});

after(async () => {
  await cluster?.stop();
});

test("the driver's Role allows nothing beyond what the driver does", async () => {
  const review = cluster.kubeConfig(cluster.driverToken).makeApiClient(AuthorizationV1Api);
  const can = async (
    verb: string,
    resource: string,
    namespace?: string,
    group = '',
    subresource?: string,
  ) => {
    const r = await review.createSelfSubjectAccessReview({
      body: {
        spec: {
          resourceAttributes: {
            verb,
            resource,
            group,
            ...(namespace ? { namespace } : {}),
            ...(subresource ? { subresource } : {}),
          },
        },
      },
    });
    return r.status?.allowed ?? false;
  };
  // What it did above, it may do.
  assert.ok(await can('create', 'statefulsets', NAMESPACE, 'apps'));
  assert.ok(await can('get', 'secrets', NAMESPACE));
  assert.ok(await can('list', 'persistentvolumeclaims', NAMESPACE));
  assert.ok(await can('patch', 'configmaps', NAMESPACE));
  // Nothing else.
  const denied: [string, string, string | undefined, string?, string?][] = [
    ['list', 'secrets', NAMESPACE],
    ['watch', 'secrets', NAMESPACE],
    ['update', 'secrets', NAMESPACE],
    ['patch', 'secrets', NAMESPACE],
    ['patch', 'configmaps', 'default'],
    ['get', 'secrets', 'default'],
    ['create', 'statefulsets', 'default', 'apps'],
    ['create', 'pods', NAMESPACE],
    ['create', 'pods', NAMESPACE, '', 'exec'],
    ['delete', 'pods', NAMESPACE],
    ['list', 'pods', NAMESPACE],
    ['create', 'deployments', NAMESPACE, 'apps'],
    ['update', 'statefulsets', NAMESPACE, 'apps'],
    ['create', 'roles', NAMESPACE, 'rbac.authorization.k8s.io'],
    ['create', 'rolebindings', NAMESPACE, 'rbac.authorization.k8s.io'],
    ['create', 'serviceaccounts', NAMESPACE, '', 'token'],
    ['delete', 'namespaces', undefined],
    ['list', 'nodes', undefined],
    ['list', 'persistentvolumes', undefined],
  ];
  for (const [verb, resource, namespace, group, subresource] of denied) {
    assert.equal(
      await can(verb, resource, namespace, group, subresource),
      false,
      `${verb} ${resource}${subresource ? `/${subresource}` : ''} in ${namespace ?? 'the cluster'}`,
    );
  }
  // And the API server agrees when it is tried.
  const asDriver = cluster.kubeConfig(cluster.driverToken).makeApiClient(CoreV1Api);
  await assert.rejects(
    asDriver.listNamespacedSecret({ namespace: NAMESPACE }),
    (err: { code?: number }) => err.code === 403,
  );
});

test("the shipped manifests are accepted by the API server; the LSP's service account gets the Role, its config is valid", async () => {
  const admin = cluster.kubeConfig(cluster.adminToken);
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'lsp' } } });
  const objects = admin.makeApiClient(KubernetesObjectApi);
  const manifests = ['rbac.yaml', 'lsp.yaml'].flatMap((f) =>
    loadAllYaml(readFileSync(join(repoRoot, 'deploy', 'kubernetes', f), 'utf8')),
  );
  assert.deepEqual(
    manifests.map((m: { kind: string }) => m.kind),
    ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'Service'],
  );
  // The Role is there already (before): the rest as shipped.
  for (const m of manifests.filter((m: { kind: string }) => m.kind !== 'Role')) {
    await objects.create(m, undefined, undefined, 'blgv-lsp-test');
  }
  const review = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: {
      spec: {
        user: 'system:serviceaccount:lsp:blgv-lsp',
        resourceAttributes: { verb: 'create', group: 'apps', resource: 'statefulsets', namespace: NAMESPACE },
      },
    },
  });
  assert.equal(review.status?.allowed, true, "the LSP's service account may create nodes");
  const deployment = await admin
    .makeApiClient(AppsV1Api)
    .readNamespacedDeployment({ name: 'blgv-lsp', namespace: 'lsp' });
  assert.deepEqual(deployment.spec?.template?.metadata?.labels, { 'app.kubernetes.io/name': 'blgv-lsp' });
  const file = manifests.find((m: { kind: string }) => m.kind === 'ConfigMap').data['config.json'];
  const config = loadConfig({ BLGV_CONFIG: 'config.json', BLGV_SECRETS_KEY: '11'.repeat(32) }, () => file);
  assert.equal(config.hosting.driver, 'kubernetes');
  assert.equal(config.hosting.kubernetes.lspNamespace, 'lsp');
  assert.deepEqual(config.hosting.kubernetes.lspPodLabels, deployment.spec?.template?.metadata?.labels);
});
