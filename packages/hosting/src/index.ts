export { type HostedLndSettings, type HostedPorts, hostedLndArgs } from './hosted-lnd-args.ts';
export { LocalOrchestrator, type LocalOrchestratorOptions } from './local-orchestrator.ts';
