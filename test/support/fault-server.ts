/**
 * The LSP server as a process of its own (configured from the environment like `blgv-lsp
 * start`), with one fault injected around its real LND: `BLGV_TEST_FAULT` names the backend call
 * and what goes wrong (`{"method":"publishTransaction","mode":"hang_after"}`). It prints
 * `READY <json>` (url, admin key) once listening and `FAULT <method>` when the fault is hit, so a
 * test can kill it at exactly that point.
 */
import { createLogger, loadConfig, startLsp } from '@blgv/server';
import { type FaultMode, Faults } from './faulty-backend.ts';

const fault = JSON.parse(process.env.BLGV_TEST_FAULT ?? '{}') as { method: string; mode: FaultMode };
const faults = new Faults();
const { hit } = faults.inject(fault.method as never, fault.mode);
void hit.then(() => process.stdout.write(`FAULT ${fault.method}\n`));

const config = loadConfig();
const lsp = await startLsp(config, createLogger(config.logLevel, false), {
  wrapLightning: (l) => faults.wrap(l),
});
process.stdout.write(
  `READY ${JSON.stringify({ url: lsp.url, keyId: lsp.bootstrapKey?.keyId, secret: lsp.bootstrapKey?.secret })}\n`,
);
