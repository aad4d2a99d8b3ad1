export { type HostedLndSettings, type HostedPorts, hostedLndArgs } from './hosted-lnd-args.ts';
export { loadKubeConfig, podStatus } from './kubernetes/cluster.ts';
export {
  KubernetesOrchestrator,
  type KubernetesOrchestratorOptions,
} from './kubernetes/kubernetes-orchestrator.ts';
export * from './kubernetes/node-objects.ts';
export { LocalOrchestrator, type LocalOrchestratorOptions } from './local-orchestrator.ts';
export { selfSignedCert, type TlsCertificate } from './tls-cert.ts';
