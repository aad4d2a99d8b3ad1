/**
 * The lnd command line of a hosted node: the shared flags (`lndArgs`), a TLS certificate that
 * names the public host and never changes, the tenant's features, and LND's autopilot with the
 * LSP as the preferred peer.
 */
import { isIP } from 'node:net';
import type { NodeFeatures, NodeSpec } from '@blgv/core';
import { type ChainBackend, lndArgs } from '@blgv/node-runner';

/** Ports of one hosted node. */
export interface HostedPorts {
  readonly rpc: number;
  readonly rest: number;
  readonly p2p: number;
}

/** Where and how hosted nodes run (the driver's share of the config). */
export interface HostedLndSettings {
  readonly chain: ChainBackend;
  /** Host the listeners bind. */
  readonly listenHost: string;
  /** Host customers use: named in the TLS certificate. */
  readonly publicHost: string;
  /** More flags for every hosted node (e.g. regtest speed-ups). */
  readonly extraArgs: readonly string[];
}

const FEATURE_FLAGS: Readonly<Record<keyof NodeFeatures, readonly string[]>> = {
  keysend: ['--accept-keysend'],
  amp: ['--accept-amp'],
  wumbo: ['--protocol.wumbo-channels'],
  zeroConf: ['--protocol.zero-conf', '--protocol.option-scid-alias'],
  scidAlias: ['--protocol.option-scid-alias'],
};

/** The flags of the hosted node `spec` whose lnd directory is `lndDir`. */
export function hostedLndArgs(
  spec: NodeSpec,
  lndDir: string,
  ports: HostedPorts,
  settings: HostedLndSettings,
): string[] {
  const features = new Set<string>();
  for (const [name, flags] of Object.entries(FEATURE_FLAGS) as [keyof NodeFeatures, readonly string[]][]) {
    if (spec.features[name]) for (const f of flags) features.add(f);
  }
  const tlsName = isIP(settings.publicHost)
    ? `--tlsextraip=${settings.publicHost}`
    : `--tlsextradomain=${settings.publicHost}`;
  return lndArgs({
    dir: lndDir,
    alias: spec.alias,
    color: spec.color,
    chain: settings.chain,
    listenHost: settings.listenHost,
    announceHost: settings.publicHost,
    rpcPort: ports.rpc,
    restPort: ports.rest,
    p2pPort: ports.p2p,
    extra: [
      // The certificate names only localhost, loopback and the public host, so it is the same
      // after every restart (autofill would add whatever interfaces the machine has today).
      '--tlsdisableautofill',
      tlsName,
      '--debuglevel=info',
      ...features,
      ...autopilotArgs(spec.autopilot),
      ...settings.extraArgs,
    ],
  });
}

function autopilotArgs(autopilot: NodeSpec['autopilot']): string[] {
  if (!autopilot) return [];
  return [
    '--autopilot.active',
    `--autopilot.maxchannels=${autopilot.maxChannels}`,
    `--autopilot.allocation=${(autopilot.allocationPercent / 100).toFixed(2)}`,
    `--autopilot.minchansize=${autopilot.minChannelSize}`,
    `--autopilot.maxchansize=${autopilot.maxChannelSize}`,
    // The LSP's scores (set through autopilotrpc) decide; preferential attachment breaks ties.
    '--autopilot.heuristic=externalscore:0.95',
    '--autopilot.heuristic=preferential:0.05',
  ];
}
