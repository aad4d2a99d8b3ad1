/**
 * Helpers for hosted-node stories: an LSP with hosting on the test network (its nodes in a
 * directory of their own, ports from a range of their own), a node's LND REST API called
 * through the endpoint the LSP returned, and the clean-up that leaves no node process behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LightningBackend, msat, type NodeOrchestrator } from '@blgv/core';
import { claimPortBlock, type Harness, type LndNode, lightningBinary } from '@blgv/regtest';
import { hostingFromConfig, resolveWatchtower } from '@blgv/server';
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

/** Options of {@link startHostingLsp} beyond the config. */
export interface HostingLspOptions {
  /** Runs it on the test Postgres instead of in-memory PGlite. */
  readonly postgres?: boolean;
  /** Runs it on this Postgres (e.g. a story's own `startTestPostgres`). */
  readonly databaseUrl?: string;
  readonly env?: Record<string, string>;
  /** Wraps the LSP node's backend (faults or traps around the real LND). */
  readonly wrap?: (lightning: LightningBackend) => LightningBackend;
  /** Wraps the hosted nodes' driver (faults or traps around the real one). */
  readonly wrapOrchestrator?: (orchestrator: NodeOrchestrator) => NodeOrchestrator;
}

/**
 * Starts an LSP with hosting; `hosting` overrides parts of the hosting config, `file` adds other
 * sections of the config file (e.g. `monitoring`).
 */
export async function startHostingLsp(
  net: Network,
  hosting: Record<string, unknown> = {},
  file: Record<string, unknown> = {},
  options: HostingLspOptions = {},
): Promise<HostingLsp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'blgv-hosted-'));
  const { tower } = await resolveWatchtower(
    (hosting.watchtower as string | undefined) ?? 'lsp',
    net.lsp.lnd,
    AbortSignal.timeout(15_000),
  );
  const lsp = await startTestLsp(net, {
    ...(options.postgres ? { postgres: true } : {}),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.wrap ? { wrap: options.wrap } : {}),
    file: {
      ...file,
      hosting: {
        dataDir,
        // Ports of our own (other test files run beside us).
        ...hostedPortRange(),
        outliveServer: true,
        checkIntervalMs: 500,
        billingIntervalMs: 500,
        // BLGV_HOSTED_DEBUGLEVEL=info,DISC=debug (say) to read a node's gossip in its lnd.log.
        ...(process.env.BLGV_HOSTED_DEBUGLEVEL
          ? { extraLndArgs: [`--debuglevel=${process.env.BLGV_HOSTED_DEBUGLEVEL}`] }
          : {}),
        ...hosting,
      },
    },
    hosting: (config) => {
      const runtime = hostingFromConfig(config, {
        regtest: { chain: net.h.btcd.chain, dir: dataDir },
        lspPubkey: net.lsp.pubkey,
        ...(tower ? { watchtower: tower } : {}),
      });
      const wrap = options.wrapOrchestrator;
      return runtime && wrap ? { ...runtime, orchestrator: wrap(runtime.orchestrator) } : runtime;
    },
  });
  return {
    lsp,
    dataDir,
    pidOf: (nodeId) => hostedNodePid(dataDir, nodeId),
    async stop() {
      await lsp.stop();
      removeHostedNodes(dataDir);
    },
  };
}

/**
 * A range of 120 ports for one story's nodes, held by this test process alone (above the ports
 * the harness picks, below the ephemeral range): a node's ports are bound only while it runs,
 * and no other story may take them meanwhile.
 */
export function hostedPortRange(): { portFrom: number; portTo: number } {
  const { from, to } = claimPortBlock(120);
  return { portFrom: from, portTo: to };
}

/** The pid of the lnd of hosted node `nodeId` kept under `dataDir`. */
export function hostedNodePid(dataDir: string, nodeId: string): number {
  return Number(readFileSync(join(dataDir, nodeId, 'lnd.pid'), 'utf8').trim());
}

/**
 * Kills every node process under `dataDir` (they outlive servers) and removes their data and
 * archives (kept, like the harness's, with BLGV_KEEP_REGTEST=1).
 */
export function removeHostedNodes(dataDir: string): void {
  for (const id of existsSync(dataDir) ? readdirSync(dataDir) : []) {
    try {
      process.kill(hostedNodePid(dataDir, id), 'SIGKILL');
    } catch {
      // Already gone, or never started.
    }
  }
  if (process.env.BLGV_KEEP_REGTEST !== '1') {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(`${dataDir}-archives`, { recursive: true, force: true });
  }
}

/**
 * Calls a hosted node's LND REST API through its `endpoint` with a macaroon (hex), with `client`
 * (default: the global fetch).
 */
export async function nodeRest<T = Record<string, unknown>>(
  endpoint: string,
  macaroon: string,
  method: string,
  path: string,
  body?: unknown,
  client: typeof fetch = fetch,
): Promise<{ status: number; body: T }> {
  const res = await client(`${endpoint}${path}`, {
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

/**
 * Runs `lncli` against a hosted node as its tenant would: at the returned gRPC address, with the
 * returned TLS certificate and `macaroon` (hex); answers what it printed.
 */
export function nodeLncli(
  node: { readonly grpcHost: string | null; readonly tlsCert: string | null },
  macaroon: string,
  args: readonly string[],
): string {
  const dir = mkdtempSync(join(tmpdir(), 'lncli-'));
  try {
    writeFileSync(join(dir, 'tls.cert'), node.tlsCert ?? '');
    writeFileSync(join(dir, 'customer.macaroon'), Buffer.from(macaroon, 'hex'));
    return execFileSync(
      lightningBinary('lncli'),
      [
        `--rpcserver=${node.grpcHost}`,
        `--tlscertpath=${join(dir, 'tls.cert')}`,
        `--macaroonpath=${join(dir, 'customer.macaroon')}`,
        '--network=regtest',
        ...args,
      ],
      { encoding: 'utf8' },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when the node lists an active channel (asked through its endpoint). */
export async function channelActive(
  endpoint: string,
  macaroon: string,
  client: typeof fetch = fetch,
): Promise<boolean> {
  const r = await nodeRest<{ channels?: { active: boolean }[] }>(
    endpoint,
    macaroon,
    'GET',
    '/v1/channels',
    undefined,
    client,
  );
  return r.status === 200 && (r.body.channels ?? []).some((c) => c.active);
}

/**
 * `payer` pays `paymentRequest`, again until it succeeds (a fresh channel's route may take a
 * moment to be usable); resolves with the succeeded payment.
 */
export function payUntilSucceeded(h: Harness, payer: LndNode, paymentRequest: string, what: string) {
  return h.waitFor(
    async () => {
      const r = await payer.lnd.sendPayment(
        { paymentRequest, feeLimit: msat(1_000_000), timeoutSeconds: 30 },
        AbortSignal.timeout(60_000),
      );
      return r.status === 'succeeded' ? r : undefined;
    },
    { what, timeoutMs: 90_000 },
  );
}

/**
 * A hosted node pays `paymentRequest` through its endpoint with `macaroon` (Router's
 * `SendPaymentV2`, its updates streamed through the proxy); resolves with the final status and
 * the node's payment index.
 */
export async function nodePays(
  endpoint: string,
  macaroon: string,
  paymentRequest: string,
): Promise<{ status: string; paymentIndex: string }> {
  const res = await fetch(`${endpoint}/v2/router/send`, {
    method: 'POST',
    headers: { 'Grpc-Metadata-macaroon': macaroon, 'content-type': 'application/json' },
    body: JSON.stringify({ payment_request: paymentRequest, timeout_seconds: 30, fee_limit_sat: '1000' }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  const last = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { result?: { status: string; payment_index: string } })
    .at(-1)?.result;
  if (res.status !== 200 || !last)
    throw new Error(`the node could not pay (${res.status}): ${text.slice(0, 500)}`);
  return { status: last.status, paymentIndex: last.payment_index };
}
