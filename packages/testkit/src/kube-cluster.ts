/**
 * A real Kubernetes API server for the Kubernetes driver's stories, started the way
 * controller-runtime's envtest starts one: etcd and kube-apiserver as child processes, no
 * kubelet, scheduler or controller manager (so pods are never created, let alone run, and
 * nothing garbage-collects), no Docker. Both are built from their Go modules by
 * `scripts/kubernetes.ts build`.
 *
 * Authentication is a static token file: an admin token in `system:masters`, and a token for
 * the driver's restricted identity (user {@link DRIVER_USER}), which has no rights until a
 * story binds a Role to it; authorization is RBAC. The server's certificate is self-signed for
 * 127.0.0.1, made fresh each start, and service accounts are signed with a fresh RSA key.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCert } from '@blgv/hosting';
import {
  freePort,
  kubernetesBinaries,
  logTail,
  type ManagedProcess,
  onShutdown,
  repoRoot,
  startProcess,
  WaitAbandoned,
  waitFor,
} from '@blgv/node-runner';
import {
  CoreV1Api,
  KubeConfig,
  loadAllYaml,
  RbacAuthorizationV1Api,
  type V1Role,
} from '@kubernetes/client-node';

/** The user the driver's token authenticates as (bind the driver's Role to it). */
export const DRIVER_USER = 'blgv-lsp-driver';

/** A running etcd + kube-apiserver. */
export interface KubeCluster {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** PEM of the server's certificate (its own CA). */
  readonly caCert: string;
  /** A token in `system:masters`. */
  readonly adminToken: string;
  /** The token of {@link DRIVER_USER}. */
  readonly driverToken: string;
  /** A kubeconfig file's text (JSON, which is YAML) for `token`, for the driver's `kubeconfigPath`. */
  kubeconfigYaml(token: string): string;
  /** A loaded {@link KubeConfig} for `token`. */
  kubeConfig(token: string): KubeConfig;
  /** Stops both processes and removes their files. */
  stop(): Promise<void>;
}

/** Starts etcd and kube-apiserver; resolves once `/readyz` answers `ok`. */
export async function startKubeCluster(): Promise<KubeCluster> {
  const binaries = kubernetesBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'blgv-kube-'));
  const processes: ManagedProcess[] = [];
  const stop = async () => {
    for (const p of processes.reverse()) await p.stop(10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onShutdown(stop);
  try {
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const etcdLog = join(dir, 'etcd.log');
    const etcd = startProcess(
      'etcd',
      binaries.etcd,
      [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        // A test store: no fsync per write (etcd's own flag for this), small quota.
        '--unsafe-no-fsync',
        '--quota-backend-bytes=268435456',
        '--log-level=warn',
      ],
      etcdLog,
    );
    processes.push(etcd);

    const tls = await selfSignedCert('kube-apiserver', ['127.0.0.1', 'localhost']);
    const saKey = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const adminToken = randomBytes(24).toString('hex');
    const driverToken = randomBytes(24).toString('hex');
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    };
    const apiLog = join(dir, 'kube-apiserver.log');
    const api = startProcess(
      'kube-apiserver',
      binaries.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'certs')}`,
        `--tls-cert-file=${file('serving.crt', tls.cert)}`,
        `--tls-private-key-file=${file('serving.key', tls.key)}`,
        `--token-auth-file=${file(
          'tokens.csv',
          `${adminToken},admin,admin,"system:masters"\n${driverToken},${DRIVER_USER},${DRIVER_USER}\n`,
        )}`,
        '--authorization-mode=RBAC',
        '--anonymous-auth=false',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${file('sa.pub', saKey.publicKey)}`,
        `--service-account-signing-key-file=${file('sa.key', saKey.privateKey)}`,
        // Nothing creates pods' service-account tokens here (no controller manager).
        '--disable-admission-plugins=ServiceAccount',
        '--v=0',
      ],
      apiLog,
    );
    processes.push(api);
    const url = `https://127.0.0.1:${apiPort}`;
    const kubeConfig = (token: string) => {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'test', server: url, caData: Buffer.from(tls.cert).toString('base64') }],
        users: [{ name: 'user', token }],
        contexts: [{ name: 'test', cluster: 'test', user: 'user' }],
        currentContext: 'test',
      });
      return kc;
    };
    await waitFor(
      async () => {
        for (const p of [etcd, api]) {
          if (!p.running)
            throw new WaitAbandoned(`${p.name} exited:\n${logTail(p === etcd ? etcdLog : apiLog)}`);
        }
        return (await readyz(url, tls.cert, adminToken)) === 'ok';
      },
      { what: 'kube-apiserver /readyz', timeoutMs: 60_000, intervalMs: 200 },
    );
    return {
      url,
      caCert: tls.cert,
      adminToken,
      driverToken,
      kubeConfig,
      kubeconfigYaml: (token) => kubeConfig(token).exportConfig(),
      async stop() {
        unregister();
        await stop();
      },
    };
  } catch (err) {
    unregister();
    await stop();
    throw err;
  }
}

/**
 * Makes the nodes' `namespace` and gives {@link DRIVER_USER} the driver's Role as shipped in
 * `deploy/kubernetes/rbac.yaml` (there bound to the LSP's service account), and nothing else.
 */
export async function bindDriverRole(cluster: KubeCluster, namespace: string): Promise<V1Role> {
  const admin = cluster.kubeConfig(cluster.adminToken);
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  const manifests = loadAllYaml(readFileSync(join(repoRoot, 'deploy', 'kubernetes', 'rbac.yaml'), 'utf8'));
  const role = manifests.find((m: { kind: string }) => m.kind === 'Role') as V1Role;
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({ namespace, body: role });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'driver' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata?.name ?? '' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: DRIVER_USER }],
    },
  });
  return role;
}

/** The body of `GET /readyz` (undefined while the server does not answer). */
function readyz(url: string, ca: string, token: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get(`${url}/readyz`, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
    });
    req.on('error', () => resolve(undefined));
    req.setTimeout(5_000, () => req.destroy());
  });
}
