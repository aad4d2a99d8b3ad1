/**
 * The LSP server as a process of its own (configured from the environment like `blgv-lsp
 * start`), with one fault injected around its real LND, or around its hosted nodes' driver with
 * `"target":"orchestrator"`: `BLGV_TEST_FAULT` names the call and what goes wrong
 * (`{"method":"publishTransaction","mode":"hang_after"}`). It prints `READY <json>` (url, admin
 * key) once listening and `FAULT <method>` when the fault is hit, so a test can kill it at
 * exactly that point.
 */
import type { NodeOrchestrator } from '@blgv/core';
import { createLogger, loadConfig, startLsp } from '@blgv/server';
import { type FaultMode, Faults } from './faulty-backend.ts';

const fault = JSON.parse(process.env.BLGV_TEST_FAULT ?? '{}') as {
  target?: 'lightning' | 'orchestrator';
  method: string;
  mode: FaultMode;
};
const lightningFaults = new Faults();
const orchestratorFaults = new Faults<NodeOrchestrator>();
const { hit } =
  fault.target === 'orchestrator'
    ? orchestratorFaults.inject(fault.method as never, fault.mode)
    : lightningFaults.inject(fault.method as never, fault.mode);
void hit.then(() => process.stdout.write(`FAULT ${fault.method}\n`));

const config = loadConfig();
const lsp = await startLsp(config, createLogger(config.logLevel, false), {
  wrapLightning: (l) => lightningFaults.wrap(l),
  wrapHosting: (h) => ({ ...h, orchestrator: orchestratorFaults.wrap(h.orchestrator) }),
});
process.stdout.write(
  `READY ${JSON.stringify({ url: lsp.url, keyId: lsp.bootstrapKey?.keyId, secret: lsp.bootstrapKey?.secret })}\n`,
);
