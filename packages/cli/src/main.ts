#!/usr/bin/env node
/**
 * `blgv-lsp`: the command line of the LSP (`blgv-lsp help` lists its commands). The commands
 * live in `@blgv/server`; this entry adds the embedded regtest network `start` runs on when no
 * LND is configured, loaded only then: started against a real LND, the test harness is never
 * loaded.
 */
import { runCli } from '@blgv/server';

await runCli(process.argv.slice(2), {
  embeddedNetwork: async (log) => (await import('./demo-network.ts')).startDemoNetwork(log),
});
