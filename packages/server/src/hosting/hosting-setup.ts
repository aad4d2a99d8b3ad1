/**
 * Hosting from config: the driver (`hosting.driver`: the `local` one with the nodes' data
 * directory, port range and lnd binary, or the `kubernetes` one), the nodes' chain backend, and
 * the LND wallet and connection adapters.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LightningConnector, NodeOrchestrator, NodeWallets, TowerAddress } from '@blgv/core';
import { LocalOrchestrator } from '@blgv/hosting';
import { connectLightning, lndNodeWallets } from '@blgv/lnd';
import {
  type ChainBackend,
  lightningBinary,
  PortRange,
  REGTEST_SPEED_ARGS,
  regtestLightningBinary,
} from '@blgv/node-runner';
import type { Config } from '../config/config.ts';
import { kubernetesOrchestrator } from './kubernetes-setup.ts';
import { REGTEST_REANNOUNCE_MS } from './lsp-graph-watch.ts';
import type { ChainNetwork } from './sweep-address.ts';

/** What the hosting service runs on. */
export interface HostingRuntime {
  readonly orchestrator: NodeOrchestrator;
  readonly wallets: NodeWallets;
  readonly connect: LightningConnector;
  /** Base of each node's `endpoint` (default: the server's URL). */
  readonly publicUrl?: string;
  /** The least time between two announcements of the LSP's node (`hosting.reannounceIntervalMs`). */
  readonly reannounceIntervalMs: number;
  /** The chain the nodes run on. */
  readonly network: ChainNetwork;
  /** Where removed nodes' archives are kept (`hosting.archiveDir`). */
  readonly archiveDir: string;
  /** The tower the nodes back up to (none: they are not watched while offline). */
  readonly watchtower?: TowerAddress;
}

/** `hosting.reannounceIntervalMs` off regtest unless configured. */
const PUBLIC_REANNOUNCE_MS = 10 * 60_000;

/**
 * The hosting runtime from config, or `undefined` when hosting is off or has no chain backend.
 * `regtest` gives the embedded network's btcd and directory (nodes then die with the demo);
 * `lspPubkey`, the LSP's node, which every hosted node syncs the whole graph from whenever it
 * connects (a pinned gossip syncer): autopilot opens only to nodes it knows.
 */
export function hostingFromConfig(
  config: Config,
  options: {
    readonly regtest?: { readonly chain: ChainBackend; readonly dir: string };
    readonly lspPubkey?: string;
    /**
     * The tower the nodes back up to, resolved at start (`resolveWatchtower`); with none they run
     * no tower client: without a tower, lnd's keeps looking for one (2.1 % of a core per idle
     * node against 0.55 % with a tower, `npm run bench -- hosted-nodes`).
     */
    readonly watchtower?: TowerAddress;
    /** Where the drivers' warnings go (the server's log). */
    readonly log?: { warn(fields: object, message: string): void };
  } = {},
): HostingRuntime | undefined {
  const { regtest, lspPubkey } = options;
  const h = config.hosting;
  const chain = regtest?.chain ?? (h.chain as ChainBackend | undefined);
  if (!h.enabled || !chain) return undefined;
  const home = join(homedir(), '.local', 'share', 'blgv-lsp');
  const extraArgs = [
    ...(chain.network === 'regtest' ? REGTEST_SPEED_ARGS : []),
    ...(lspPubkey ? [`--gossip.pinned-syncers=${lspPubkey}`] : []),
    // The client backs revoked states up to the towers the keeper registers (`node-watchtower.ts`).
    ...(options.watchtower ? ['--wtclient.active'] : []),
    ...h.extraLndArgs,
  ];
  const orchestrator: NodeOrchestrator =
    h.driver === 'kubernetes'
      ? kubernetesOrchestrator(config, chain, extraArgs, options.log)
      : new LocalOrchestrator({
          dataDir: h.dataDir ?? (regtest ? join(regtest.dir, 'hosted-nodes') : join(home, 'nodes')),
          // On regtest, lnd built with cheap wallet encryption (regtest coins are worthless).
          lndBinary:
            h.lndBinary ??
            (chain.network === 'regtest' ? regtestLightningBinary('lnd') : lightningBinary('lnd')),
          ports: new PortRange(h.portFrom, h.portTo),
          chain,
          listenHost: h.listenHost,
          publicHost: h.publicHost,
          extraArgs,
          outliveServer: h.outliveServer ?? !regtest,
        });
  return {
    orchestrator,
    wallets: lndNodeWallets,
    connect: connectLightning,
    reannounceIntervalMs:
      h.reannounceIntervalMs ?? (chain.network === 'regtest' ? REGTEST_REANNOUNCE_MS : PUBLIC_REANNOUNCE_MS),
    network: chain.network as ChainNetwork,
    archiveDir:
      h.archiveDir ??
      (h.dataDir
        ? `${h.dataDir.replace(/\/+$/, '')}-archives`
        : regtest
          ? join(regtest.dir, 'hosted-node-archives')
          : join(home, 'node-archives')),
    ...(h.publicUrl ? { publicUrl: h.publicUrl } : {}),
    ...(options.watchtower ? { watchtower: options.watchtower } : {}),
  };
}
