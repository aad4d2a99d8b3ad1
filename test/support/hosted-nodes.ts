/**
 * Helpers for hosted-node stories: an LSP with hosting on the test network (its nodes in a
 * directory of their own, ports from a range of their own), a node's LND REST API called
 * through the endpoint the LSP returned, and the clean-up that leaves no node process behind.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostingFromConfig } from '@blgv/server';
import { startTestLsp, type TestLsp } from './lsp-server.ts';
import type { Network } from './network.ts';

/** An LSP that hosts nodes, and where it keeps them. */
export interface HostingLsp {
  readonly lsp: TestLsp;
  readonly dataDir: string;
  /** The pid of a node's lnd process (the fault-injection hook of the stories). */
  pidOf(nodeId: string): number;
  /** Stops the LSP, kills every node it started and removes their data. */
  stop(): Promise<void>;
}

/** Starts an LSP with hosting; `hosting` overrides parts of the hosting config. */
export async function startHostingLsp(
  net: Network,
  hosting: Record<string, unknown> = {},
): Promise<HostingLsp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'blgv-hosted-'));
  // A range of 120 ports of our own below the ephemeral range (other test files run beside us).
  const portFrom = 20_000 + Math.floor(Math.random() * 100) * 120;
  const lsp = await startTestLsp(net, {
    file: {
      hosting: {
        dataDir,
        portFrom,
        portTo: portFrom + 119,
        outliveServer: true,
        checkIntervalMs: 500,
        billingIntervalMs: 500,
        ...hosting,
      },
    },
    hosting: (config) => hostingFromConfig(config, { chain: net.h.btcd.chain, dir: dataDir }),
  });
  const pidOf = (nodeId: string) => Number(readFileSync(join(dataDir, nodeId, 'lnd.pid'), 'utf8').trim());
  return {
    lsp,
    dataDir,
    pidOf,
    async stop() {
      await lsp.stop();
      for (const id of existsSync(dataDir) ? readdirSync(dataDir) : []) {
        try {
          process.kill(pidOf(id), 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Calls a hosted node's LND REST API through its `endpoint` with a macaroon (hex). */
export async function nodeRest<T = Record<string, unknown>>(
  endpoint: string,
  macaroon: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${endpoint}${path}`, {
    method,
    headers: { 'Grpc-Metadata-macaroon': macaroon, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (an error page); kept as text.
  }
  return { status: res.status, body: parsed as T };
}
