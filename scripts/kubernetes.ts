/**
 * Builds the pinned Kubernetes API server (`tools/kubernetes/`) and etcd (`tools/etcd/`) from
 * their Go modules, for the Kubernetes driver's stories (`test/kubernetes-*.test.ts`); part of
 * `npm test`'s pretest.
 *
 *   node scripts/kubernetes.ts build    # both binaries, cached by version (warm: at once)
 *   node scripts/kubernetes.ts bin-dir  # where each is cached
 *
 * The cache is `kubeApiserverBinDir()` / `etcdBinDir()` in `@blgv/node-runner`:
 * `~/.cache/blgv-lsp/bin/` (or `$BLGV_LSP_CACHE/bin/`), `kube-apiserver-<version>-<hash>` and
 * `etcd-<version>-<hash>`. A cold kube-apiserver build takes about 4 minutes on 2 cores, etcd
 * under one.
 */
import {
  ETCD_PACKAGE,
  etcdBinDir,
  etcdModuleDir,
  KUBE_APISERVER_PACKAGE,
  kubeApiserverBinDir,
  kubernetesModuleDir,
  pinnedEtcdVersion,
  pinnedKubernetesVersion,
} from '../packages/node-runner/src/kubernetes-binary.ts';
import { goBuild, haveBinaries, removeStalePartials } from './go-build.ts';

function log(msg: string): void {
  process.stderr.write(`[kubernetes] ${msg}\n`);
}

/** What `kube-apiserver --version` and its `/version` say (a module build would say v0.0.0). */
function apiserverLdflags(version: string): string {
  const [major, minor] = version.replace(/^v/, '').split('.');
  return [
    `-X k8s.io/component-base/version.gitVersion=${version}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
  ].join(' ');
}

async function main(): Promise<void> {
  const cmd = process.argv[2] ?? 'build';
  const builds = [
    {
      binary: 'etcd',
      version: pinnedEtcdVersion(),
      dir: etcdBinDir(),
      moduleDir: etcdModuleDir,
      pkg: ETCD_PACKAGE,
      ldflags: undefined as string | undefined,
      time: 'under a minute',
    },
    {
      binary: 'kube-apiserver',
      version: pinnedKubernetesVersion(),
      dir: kubeApiserverBinDir(),
      moduleDir: kubernetesModuleDir,
      pkg: KUBE_APISERVER_PACKAGE,
      ldflags: apiserverLdflags(pinnedKubernetesVersion()),
      time: 'about 4 minutes on 2 cores',
    },
  ];
  if (cmd === 'bin-dir') {
    for (const b of builds) process.stdout.write(`${b.dir}\n`);
    return;
  }
  if (cmd !== 'build') throw new Error(`unknown command ${cmd}; use build or bin-dir`);
  for (const b of builds) {
    if (haveBinaries(b.dir, [b.binary])) {
      log(`found ${b.binary} in ${b.dir}`);
      continue;
    }
    log(
      `building ${b.binary} ${b.version} with Go for the Kubernetes stories (a cold build takes ${b.time})`,
    );
    await goBuild({
      what: `${b.binary} ${b.version}`,
      moduleDir: b.moduleDir,
      packages: [b.pkg],
      tags: [],
      ldflags: b.ldflags,
      binaries: [b.binary],
      dir: b.dir,
      log,
    });
    removeStalePartials(b.dir);
  }
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
