/**
 * The `kubernetes` driver from `hosting.kubernetes`: the cluster from a kubeconfig file or the
 * pod's own service account, the nodes' objects from the settings (docs/kubernetes.md).
 */
import { KubernetesOrchestrator, type KubernetesOrchestratorOptions, loadKubeConfig } from '@blgv/hosting';
import type { ChainBackend } from '@blgv/node-runner';
import type { Config } from '../config/config.ts';

/** The `kubernetes` driver for `config`, its nodes on `chain` with `extraArgs`. */
export function kubernetesOrchestrator(
  config: Config,
  chain: ChainBackend,
  extraArgs: readonly string[],
  log?: KubernetesOrchestratorOptions['log'],
): KubernetesOrchestrator {
  const k = config.hosting.kubernetes;
  return new KubernetesOrchestrator({
    kubeConfig: loadKubeConfig(k.kubeconfigPath),
    namespace: k.namespace,
    image: k.image,
    ...(k.storageClass ? { storageClass: k.storageClass } : {}),
    storageSize: k.storageSize,
    resources: k.resources,
    lspPodLabels: k.lspPodLabels,
    ...(k.lspNamespace ? { lspNamespace: k.lspNamespace } : {}),
    terminationGracePeriodSeconds: k.terminationGracePeriodSeconds,
    startTimeoutMs: k.startTimeoutMs,
    chain,
    publicHost: k.publicHost ?? `lnd-{nodeId}.${k.namespace}.svc`,
    extraArgs,
    retentionMs: config.hosting.archiveRetentionSeconds * 1000,
    ...(log ? { log } : {}),
  });
}
