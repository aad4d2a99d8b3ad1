/**
 * Autopilot nodes choose the LSP: the LSP is their peer (its gossip is their graph), the LSP's
 * node is scored first for their autopilot (`externalscore`), and the keeper sees to it that
 * their graph holds the LSP's announcement with its address, without which LND's autopilot
 * cannot choose it (the policy is in `lsp-graph-watch.ts`: announce again, then connect again),
 * and that an agent which could open to the LSP and does not is started again (it never tries a
 * node again after one failed try: `autopilot-stall.ts`).
 */
import { type GraphPort, type NodePort, type PeersPort, type Pubkey, parsePubkey, sat } from '@blgv/core';
import type { HostedNodeRecord } from '@blgv/store';
import type { Logger } from 'pino';
import { couldOpenToLsp, nextStallStep, type StallWatch } from './autopilot-stall.ts';
import {
  type GraphWatch,
  graphCheckDue,
  type LspInGraph,
  newGraphWatch,
  nextGraphStep,
} from './lsp-graph-watch.ts';
import { nodeConfigFromJson } from './node-config.ts';
import type { NodeConnections } from './node-connections.ts';

/**
 * The calls the LSP's own node gets from the preference: its pubkey, peering with autopilot nodes
 * (and dropping them), and announcing itself again. The hosted nodes' calls go through
 * {@link NodeConnections}.
 */
export type LspPreferenceLightning = Pick<NodePort, 'getInfo'> &
  Pick<PeersPort, 'connectPeer' | 'disconnectPeer' | 'listPeers'> &
  Pick<GraphPort, 'reannounce'>;

/** Keeps autopilot nodes pointed at the LSP. */
export class LspPreference {
  readonly #lightning: LspPreferenceLightning;
  readonly #nodes: NodeConnections;
  readonly #log: Logger;
  readonly #watches = new Map<string, GraphWatch>();
  readonly #stalls = new Map<string, StallWatch>();
  #lspPubkey: Pubkey | undefined;
  /** When the LSP last sent its announcement again (it reaches every peer). */
  #reannouncedAt: number | undefined;
  /** The least time between two announcements (`hosting.reannounceIntervalMs`). */
  readonly #reannounceIntervalMs: number;

  constructor(deps: {
    lightning: LspPreferenceLightning;
    nodes: NodeConnections;
    log: Logger;
    reannounceIntervalMs: number;
  }) {
    this.#lightning = deps.lightning;
    this.#nodes = deps.nodes;
    this.#log = deps.log;
    this.#reannounceIntervalMs = deps.reannounceIntervalMs;
  }

  /**
   * Connects the LSP to an autopilot node (gossip) and scores the LSP first for its autopilot
   * (again after a restart: LND forgets the scores); nothing for other nodes. Failures are
   * logged: the keeper tries again.
   */
  async prefer(record: HostedNodeRecord): Promise<void> {
    if (!autopilotOn(record)) return;
    try {
      const lsp = await this.#lsp();
      if (record.pubkey && record.p2pAddress) {
        await this.#lightning.connectPeer(
          parsePubkey(record.pubkey),
          record.p2pAddress,
          AbortSignal.timeout(20_000),
        );
        const watch = this.#watches.get(record.id);
        this.#watches.set(
          record.id,
          watch ? { ...watch, connectedAt: Date.now() } : newGraphWatch(Date.now()),
        );
      }
      await this.#nodes.backend(record).setAutopilotScores(new Map([[lsp, 1]]), AbortSignal.timeout(10_000));
    } catch (err) {
      this.#log.warn({ nodeId: record.id, err }, 'autopilot could not be pointed at the LSP');
    }
  }

  /** The LSP node's peers' pubkeys. */
  async lspPeers(): Promise<ReadonlySet<string>> {
    return new Set((await this.#lightning.listPeers(AbortSignal.timeout(10_000))).map((p) => p.pubkey));
  }

  /**
   * One keeper tick for an autopilot node: when the LSP has lost the peer (a failed connect at
   * creation, a restart), connects again and sets the scores again; when the node's graph is due
   * a look and lacks the LSP's announcement, announces the LSP again or connects again.
   */
  async keep(record: HostedNodeRecord, lspPeers: ReadonlySet<string>): Promise<void> {
    if (!record.pubkey || !autopilotOn(record)) return;
    if (!lspPeers.has(record.pubkey)) return this.prefer(record);
    const now = Date.now();
    const watch = this.#watches.get(record.id);
    if (!watch) {
      this.#watches.set(record.id, newGraphWatch(now));
      return;
    }
    if (!graphCheckDue(watch, now)) return;
    const lsp = await this.#lsp();
    const node = await this.#nodes.backend(record).graphNode(lsp, AbortSignal.timeout(10_000));
    const seen: LspInGraph = !node ? 'absent' : node.addresses.length > 0 ? 'announced' : 'unannounced';
    const step = nextGraphStep(watch, seen, now, {
      at: this.#reannouncedAt,
      minIntervalMs: this.#reannounceIntervalMs,
    });
    this.#watches.set(record.id, step.watch);
    const log = { nodeId: record.id, lspInGraph: seen, sinceConnectedMs: now - watch.connectedAt };
    switch (step.remedy) {
      case 'none':
        if (!watch.knewLsp) this.#log.info(log, "the LSP, with its address, is in the node's graph");
        return this.#keepAutopilotGoing(record, lsp, now);
      case 'wait':
        this.#log.debug(log, "the LSP's announcement is not in the node's graph yet: waiting");
        return;
      case 'reannounce':
        return this.#reannounce(log, now);
      case 'reconnect':
        this.#log.info(log, "the LSP's announcement is still not in the node's graph: connecting again");
        await this.#lightning.disconnectPeer(parsePubkey(record.pubkey), AbortSignal.timeout(10_000));
        await this.prefer(record);
        return;
    }
  }

  /** Forgets a node (deleted). */
  forget(nodeId: string): void {
    this.#watches.delete(nodeId);
    this.#stalls.delete(nodeId);
  }

  /**
   * With the LSP in the node's graph: an agent that could open a channel to the LSP (a free
   * slot, funds within its allocation) and has had none to it for a while is started again.
   */
  async #keepAutopilotGoing(record: HostedNodeRecord, lsp: Pubkey, now: number): Promise<void> {
    const node = this.#nodes.backend(record);
    const signal = AbortSignal.timeout(10_000);
    const [open, pending, wallet] = await Promise.all([
      node.listChannels(signal),
      node.pendingChannels(signal),
      node.walletBalance(signal),
    ]);
    const channels = [...open, ...pending];
    const stalled = couldOpenToLsp({
      toLsp: channels.filter((c) => c.remotePubkey === lsp).length,
      channels: channels.length,
      inChannels: sat(channels.reduce((s, c) => s + c.localBalance, 0n)),
      confirmed: wallet.confirmed,
      config: nodeConfigFromJson(record.config).autopilot,
    });
    const step = nextStallStep(this.#stalls.get(record.id) ?? {}, stalled, now);
    this.#stalls.set(record.id, step.watch);
    this.#log.debug(
      { nodeId: record.id, stalled, confirmedSat: String(wallet.confirmed), channels: channels.length },
      'autopilot looked at',
    );
    if (!step.restart) return;
    this.#log.info(
      { nodeId: record.id, confirmedSat: String(wallet.confirmed), channels: channels.length },
      'autopilot could open a channel to the LSP and has not: its agent is started again',
    );
    await node.restartAutopilot(AbortSignal.timeout(10_000));
    await node.setAutopilotScores(new Map([[lsp, 1]]), AbortSignal.timeout(10_000));
  }

  /** Announces the LSP again to all its peers, unless another node's look just did. */
  async #reannounce(log: Record<string, unknown>, now: number): Promise<void> {
    if (this.#reannouncedAt !== undefined && now - this.#reannouncedAt < this.#reannounceIntervalMs) {
      this.#log.info(log, "the LSP's announcement is not in the node's graph: it was sent again moments ago");
      return;
    }
    // Counted as sent even when it fails, so that the next look connects again instead.
    this.#reannouncedAt = now;
    try {
      await this.#lightning.reannounce(AbortSignal.timeout(10_000));
      this.#log.info(
        log,
        "the LSP's announcement is not in the node's graph: the LSP announced itself again",
      );
    } catch (err) {
      this.#log.warn({ ...log, err }, 'the LSP could not announce itself again');
    }
  }

  async #lsp(): Promise<Pubkey> {
    this.#lspPubkey ??= (await this.#lightning.getInfo(AbortSignal.timeout(10_000))).pubkey;
    return this.#lspPubkey;
  }
}

function autopilotOn(record: HostedNodeRecord): boolean {
  return nodeConfigFromJson(record.config).autopilot.enabled;
}
