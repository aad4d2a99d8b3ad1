/**
 * The node monitor (one job, under its lease): every `intervalMs` it reads the LSP's own node
 * and each running hosted node (channels, balances, new forwards, the payments it sent) and
 * stores what it saw, so metrics and `/metrics` answer from the database instead of calling
 * every node per request. The LSP node's up/down intervals are recorded here; hosted nodes'
 * by the keeper, which checks them anyway.
 */
import {
  type ChannelsPort,
  checkGapMs,
  type NodePort,
  type PaymentPurpose,
  type PaymentsPort,
  paymentPurpose,
  type SentPayment,
  type WalletPort,
} from '@blgv/core';
import {
  type Database,
  HostedNodesRepository,
  NodeMonitoringRepository,
  PaymentPurposesRepository,
} from '@blgv/store';
import type { Logger } from 'pino';
import type { HostingService } from '../hosting/hosting-service.ts';
import { every } from '../jobs/job-runner.ts';

/** The node id the LSP's own node is stored under. */
export const LSP_NODE_ID = 'lsp';

/** Forwards read per call. */
const FORWARDS_PAGE = 1_000;
/** Payments read per call. */
const PAYMENTS_PAGE = 100;
/** The most one reading of one node may take. */
const READ_TIMEOUT_MS = 30_000;

/**
 * The Lightning calls the monitor makes of a node (the LSP's own and each hosted one): its
 * info, channels and wallet balance, and its forwards and payments since the last reading.
 */
export type MonitoredNode = Pick<NodePort, 'getInfo'> &
  Pick<ChannelsPort, 'forwardingHistory' | 'listChannels' | 'pendingChannels'> &
  Pick<WalletPort, 'walletBalance'> &
  Pick<PaymentsPort, 'listPayments'>;

/** What the monitor reads and where it writes. */
export interface NodeMonitorDeps {
  readonly database: Database;
  /** The LSP's own node. */
  readonly lightning: MonitoredNode;
  readonly hosting: HostingService | undefined;
  readonly intervalMs: number;
  readonly log: Logger;
}

/** How far back the purposes the LSP recorded are checked against the stored payments. */
const RECLASSIFY_MINUTES = 10;

/** Reads every node each `intervalMs` until `signal` aborts. */
export function monitorNodes(deps: NodeMonitorDeps, signal: AbortSignal): Promise<void> {
  const repo = new NodeMonitoringRepository(deps.database.db);
  const checks = new HostedNodesRepository(deps.database.db);
  const recorded = new PaymentPurposesRepository(deps.database.db);
  const purposes = lspPurposes(recorded);
  const gapMs = checkGapMs(deps.intervalMs);
  return every(
    deps.intervalMs,
    async () => {
      const targets: { id: string; backend: MonitoredNode }[] = [];
      for (const node of (await deps.hosting?.repo.live()) ?? []) {
        if (node.state === 'running' && deps.hosting) {
          targets.push({ id: node.id, backend: deps.hosting.nodes.backend(node) });
        }
      }
      // The LSP node is up when it answers; reading its forwards and payments is another matter.
      const lsp = (async () => {
        const up = await deps.lightning.getInfo(AbortSignal.any([signal, AbortSignal.timeout(10_000)])).then(
          () => true,
          () => false,
        );
        await checks.recordCheck(LSP_NODE_ID, up, gapMs);
        if (!up) return deps.log.warn("the LSP's node does not answer");
        await readNode(repo, LSP_NODE_ID, deps.lightning, signal, purposes).catch((err: unknown) =>
          deps.log.warn({ err }, "the LSP's node could not be read"),
        );
        // A purpose recorded while its payment was being stored is set right now.
        await recorded
          .reclassifyRecent(LSP_NODE_ID, RECLASSIFY_MINUTES)
          .catch((err: unknown) =>
            deps.log.warn({ err }, "the LSP's payments could not be classified again"),
          );
      })();
      await Promise.all([
        lsp,
        ...targets.map((t) =>
          readNode(repo, t.id, t.backend, signal).catch((err: unknown) =>
            // The keeper restarts a node that does not answer and records it down.
            deps.log.debug({ nodeId: t.id, err }, 'hosted node could not be read'),
          ),
        ),
      ]);
    },
    signal,
  );
}

/** What a page of a node's payments was for, in order. */
export type PurposesOf = (payments: readonly SentPayment[]) => Promise<PaymentPurpose[]>;

/** A hosted node's payments are all its tenant's. */
const tenantsOwn: PurposesOf = async (payments) => payments.map(() => 'tenant');

/** The LSP node's payments, classified by what the LSP knows of their hashes. */
export function lspPurposes(known: Pick<PaymentPurposesRepository, 'known'>): PurposesOf {
  return async (payments) => {
    const hashes = await known.known(payments.map((p) => p.paymentHash));
    return payments.map((p) => paymentPurpose(p, hashes));
  };
}

/**
 * Reads one node and stores what it saw; `purposes` says what its payments were for (default:
 * all the tenant's, as on a hosted node).
 */
export async function readNode(
  repo: NodeMonitoringRepository,
  nodeId: string,
  backend: MonitoredNode,
  stop: AbortSignal,
  purposes: PurposesOf = tenantsOwn,
): Promise<void> {
  const signal = AbortSignal.any([stop, AbortSignal.timeout(READ_TIMEOUT_MS)]);
  const [info, channels, pending, wallet] = await Promise.all([
    backend.getInfo(signal),
    backend.listChannels(signal),
    backend.pendingChannels(signal),
    backend.walletBalance(signal),
  ]);
  const sum = (values: readonly bigint[]) => values.reduce((a, b) => a + b, 0n);
  await repo.saveSnapshot({
    nodeId,
    takenAt: new Date(),
    channelCount: channels.length,
    activeChannels: channels.filter((c) => c.active).length,
    pendingChannels: pending.length,
    totalCapacity: sum(channels.map((c) => c.capacity)),
    localBalance: sum(channels.map((c) => c.localBalance)),
    remoteBalance: sum(channels.map((c) => c.remoteBalance)),
    pendingBalance: sum(pending.map((c) => c.localBalance)),
    onchainConfirmed: wallet.confirmed,
    onchainUnconfirmed: wallet.unconfirmed,
    peers: info.numPeers,
    blockHeight: info.blockHeight,
    synced: info.syncedToChain,
  });
  await readForwards(repo, nodeId, backend, signal);
  await readPayments(repo, nodeId, backend, signal, purposes);
}

/** Copies the forwards the node logged since the last reading. */
async function readForwards(
  repo: NodeMonitoringRepository,
  nodeId: string,
  backend: Pick<ChannelsPort, 'forwardingHistory'>,
  signal: AbortSignal,
): Promise<void> {
  let next = await repo.nextForwardIndex(nodeId);
  for (;;) {
    // From the start of the log, skipping what is stored: the offset is the log position.
    const page = await backend.forwardingHistory(
      {
        start: new Date(0),
        end: new Date(Date.now() + 86_400_000),
        offset: Number(next),
        limit: FORWARDS_PAGE,
      },
      signal,
    );
    await repo.addForwards(
      nodeId,
      page.map((f, i) => ({
        idx: next + BigInt(i),
        at: f.timestamp,
        chanIn: f.incomingScid.toString(),
        chanOut: f.outgoingScid.toString(),
        amountIn: f.amountIn,
        amountOut: f.amountOut,
        fee: f.fee,
      })),
    );
    next += BigInt(page.length);
    if (page.length < FORWARDS_PAGE) return;
  }
}

/** Copies the payments the node sent since the last reading, and how in-flight ones ended. */
async function readPayments(
  repo: NodeMonitoringRepository,
  nodeId: string,
  backend: Pick<PaymentsPort, 'listPayments'>,
  signal: AbortSignal,
  purposes: PurposesOf,
): Promise<void> {
  const from = await repo.paymentCursor(nodeId);
  const seen: bigint[] = [];
  let after = from;
  for (;;) {
    const page = await backend.listPayments({ afterIndex: after, max: PAYMENTS_PAGE }, signal);
    seen.push(...page.map((p) => p.paymentIndex));
    const purpose = await purposes(page);
    await repo.savePayments(
      nodeId,
      page.map((p, i) => ({
        paymentIndex: p.paymentIndex,
        status: p.status,
        createdAt: p.createdAt,
        amount: p.amount,
        fee: p.fee,
        paymentHash: p.paymentHash,
        purpose: purpose[i] ?? 'other',
      })),
    );
    const last = page.at(-1);
    if (!last || page.length < PAYMENTS_PAGE) break;
    after = last.paymentIndex;
  }
  // Everything after `from` was read: a payment stored in flight that LND no longer lists (it
  // was deleted) would hold the cursor back for ever.
  await repo.forgetInFlight(nodeId, from, seen);
}
