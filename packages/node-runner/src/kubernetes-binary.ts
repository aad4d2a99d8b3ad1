/**
 * Where the pinned Kubernetes API server and etcd live: the Kubernetes driver's stories run the
 * pair the way controller-runtime's envtest does (no kubelet, pods are never scheduled).
 * `scripts/kubernetes.ts build` (part of `npm test`'s pretest) builds them from their Go
 * modules (`tools/kubernetes/`, `tools/etcd/`) into the same cache as lnd, each keyed by its
 * version and a hash of its pinning module (and our Go sources, for etcd's `cmd/etcd`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, goBuildKey, pinnedModuleVersion, repoRoot } from './binaries.ts';

/** The Go module pinning the Kubernetes API server. */
export const kubernetesModuleDir = join(repoRoot, 'tools', 'kubernetes');
/** The Go module pinning etcd. */
export const etcdModuleDir = join(repoRoot, 'tools', 'etcd');

/** The API server's main package. */
export const KUBE_APISERVER_PACKAGE = 'k8s.io/kubernetes/cmd/kube-apiserver';
/** etcd's main package: ours, `etcdmain.Main` as etcd's own main does. */
export const ETCD_PACKAGE = 'github.com/blgv/lsp/tools/etcd/cmd/etcd';

/** The Kubernetes release pinned in `tools/kubernetes/go.mod` (v1.34.4). */
export function pinnedKubernetesVersion(): string {
  return pinnedModuleVersion(kubernetesModuleDir, 'k8s.io/kubernetes');
}

/** The etcd release pinned in `tools/etcd/go.mod` (v3.6.6). */
export function pinnedEtcdVersion(): string {
  return pinnedModuleVersion(etcdModuleDir, 'go.etcd.io/etcd/server/v3');
}

/** The directory holding the built `kube-apiserver` of the pinned version. */
export function kubeApiserverBinDir(): string {
  const key = goBuildKey(kubernetesModuleDir, []);
  return join(cacheDir(), 'bin', `kube-apiserver-${pinnedKubernetesVersion()}-${key}`);
}

/** The directory holding the built `etcd` of the pinned version. */
export function etcdBinDir(): string {
  const key = goBuildKey(etcdModuleDir, [], join(etcdModuleDir, 'cmd'));
  return join(cacheDir(), 'bin', `etcd-${pinnedEtcdVersion()}-${key}`);
}

/** Paths of the built `kube-apiserver` and `etcd`; throws with the fix when one is missing. */
export function kubernetesBinaries(): { kubeApiserver: string; etcd: string } {
  const kubeApiserver = join(kubeApiserverBinDir(), 'kube-apiserver');
  const etcd = join(etcdBinDir(), 'etcd');
  for (const path of [kubeApiserver, etcd]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:kubernetes\` first`);
  }
  return { kubeApiserver, etcd };
}
