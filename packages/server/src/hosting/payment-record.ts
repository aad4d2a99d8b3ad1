/**
 * The LSP's own record of every payment each hosted node sends (`hosted_node_payments`), the
 * source of the per-payment hosting fee. The customer macaroon holds `offchain:write` and can
 * delete the node's payments in LND (`DeleteAllPayments`); it cannot touch this record.
 *
 * Fed two ways, both with the LSP's admin macaroon:
 * - LND's payment stream (routerrpc `TrackPayments`), one per running or deleting node, kept
 *   open (reconnecting by itself) and started again when it ends: every payment is recorded
 *   as soon as it starts and again when it ends, before the tenant can delete it;
 * - a catch-up with `ListPayments` each time the stream (re)connects, from below the oldest
 *   payment still in flight in the record (the ones that ended while nobody listened, and new
 *   ones), and a light one (only payments newer than the record's newest) on every billing
 *   tick, which also covers the moment between opening a stream and LND registering it.
 *
 * What stays out of reach: a payment both made and deleted while no replica follows the node
 * (docs/hosting.md, "Billing from what the tenant cannot erase").
 */
import type { PaymentsPort, SentPayment } from '@blgv/core';
import {
  type Database,
  HostedNodePaymentsRepository,
  type HostedNodeRecord,
  type ReportedPayment,
} from '@blgv/store';
import type { Logger } from 'pino';

/** Payments read from a node per `ListPayments` call. */
const PAYMENTS_PAGE = 100;
/** The most one catch-up call may take. */
const CALL_TIMEOUT_MS = 15_000;

/** The calls the record needs from a node. */
export type PaymentSource = Pick<PaymentsPort, 'listPayments' | 'trackPayments'>;

/** A payment as the store records it. */
export function reported(p: SentPayment): ReportedPayment {
  return {
    paymentIndex: p.paymentIndex,
    paymentHash: p.paymentHash,
    status: p.status,
    amount: p.amount,
    fee: p.fee,
    createdAt: p.createdAt,
  };
}

/**
 * Records every payment the node lists that the record may lack: from below its oldest payment
 * still in flight (`full`: after the stream was away) or after its newest (`full: false`).
 * A full catch-up also marks `vanished` the in-flight ones LND no longer has. Call it before a
 * node's data is removed, so its last payments are recorded.
 */
export async function catchUpPayments(
  database: Database,
  nodeId: string,
  source: Pick<PaymentSource, 'listPayments'>,
  options: { readonly full: boolean; readonly signal: AbortSignal },
): Promise<{ recorded: number; vanished: readonly bigint[] }> {
  const repo = new HostedNodePaymentsRepository(database.db);
  const from = options.full ? await repo.resumeIndex(nodeId) : await repo.newestIndex(nodeId);
  const listedFrom = await repo.now();
  const seen = new Set<bigint>();
  let after = from;
  for (;;) {
    const page = await source.listPayments(
      { afterIndex: after, max: PAYMENTS_PAGE },
      AbortSignal.any([options.signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]),
    );
    await repo.record(nodeId, page.map(reported));
    for (const p of page) seen.add(p.paymentIndex);
    const last = page.at(-1);
    if (!last || page.length < PAYMENTS_PAGE) break;
    after = last.paymentIndex;
  }
  const vanished = options.full ? await repo.markVanished(nodeId, from, seen, listedFrom) : [];
  return { recorded: seen.size, vanished };
}

/**
 * A last full catch-up of a node whose data is about to be removed (billing follows it until
 * then; this closes the gap of its last moments). Logs instead of throwing: a node that does
 * not answer has nothing more to tell.
 */
export async function recordLastPayments(
  database: Database,
  node: HostedNodeRecord,
  sourceOf: () => Pick<PaymentSource, 'listPayments'>,
  log: Logger,
): Promise<void> {
  try {
    if (node.rpcAddress)
      await catchUpPayments(database, node.id, sourceOf(), {
        full: true,
        signal: AbortSignal.timeout(30_000),
      });
  } catch (err) {
    log.warn({ nodeId: node.id, err }, 'last payment catch-up failed');
  }
}

/** What the recorder needs. */
export interface PaymentRecorderDeps {
  readonly database: Database;
  /** The LSP's admin connection to a node. */
  readonly sourceOf: (node: HostedNodeRecord) => PaymentSource;
  readonly log: Logger;
}

/** Follows the payments of a set of nodes (one stream each) into the record. */
export class PaymentRecorder {
  readonly #deps: PaymentRecorderDeps;
  readonly #repo: HostedNodePaymentsRepository;
  /** The stream of each node followed. */
  readonly #follows = new Map<string, AbortController>();
  /** The last catch-up of each node, queued or running: catch-ups of one node take turns. */
  readonly #catchUps = new Map<string, Promise<unknown>>();

  constructor(deps: PaymentRecorderDeps) {
    this.#deps = deps;
    this.#repo = new HostedNodePaymentsRepository(deps.database.db);
  }

  /**
   * Follows exactly `nodes`: a stream for each not followed yet (or whose stream ended), the
   * others' streams stopped. Cheap: call it often, so a node that starts is followed at once.
   */
  follow(nodes: readonly HostedNodeRecord[], signal: AbortSignal): void {
    const wanted = new Set(nodes.map((n) => n.id));
    for (const [id, stop] of this.#follows) {
      if (!wanted.has(id)) {
        stop.abort();
        this.#follows.delete(id);
      }
    }
    for (const node of nodes) if (!this.#follows.has(node.id)) this.#follow(node, signal);
  }

  /** Catches every one of `nodes` up lightly (payments newer than the record's newest). */
  async catchUpAll(nodes: readonly HostedNodeRecord[], signal: AbortSignal): Promise<void> {
    await Promise.all(nodes.map((node) => this.catchUp(node, false, signal)));
  }

  /** Catches a node up (in the node's turn); logs instead of throwing. */
  catchUp(node: HostedNodeRecord, full: boolean, signal: AbortSignal): Promise<void> {
    const turn = (this.#catchUps.get(node.id) ?? Promise.resolve())
      .then(async () => {
        const { recorded, vanished } = await catchUpPayments(
          this.#deps.database,
          node.id,
          this.#deps.sourceOf(node),
          { full, signal },
        );
        if (vanished.length > 0)
          this.#deps.log.warn(
            { nodeId: node.id, paymentIndexes: vanished.map(String) },
            'payments ended and were deleted while the LSP was not listening: not billed',
          );
        if (full) this.#deps.log.debug({ nodeId: node.id, recorded }, 'payments caught up');
      })
      .catch((err: unknown) => {
        if (!signal.aborted) this.#deps.log.warn({ nodeId: node.id, err }, 'payment catch-up failed');
      });
    this.#catchUps.set(node.id, turn);
    void turn.then(() => {
      if (this.#catchUps.get(node.id) === turn) this.#catchUps.delete(node.id);
    });
    return turn;
  }

  /** Stops every stream. */
  stop(): void {
    for (const stop of this.#follows.values()) stop.abort();
    this.#follows.clear();
  }

  #follow(node: HostedNodeRecord, signal: AbortSignal): void {
    const stop = new AbortController();
    this.#follows.set(node.id, stop);
    const streamSignal = AbortSignal.any([signal, stop.signal]);
    void (async () => {
      const stream = this.#deps.sourceOf(node).trackPayments({
        signal: streamSignal,
        // (Re)connected: what ended while the stream was away is read from the list.
        onConnected: () => void this.catchUp(node, true, streamSignal),
      });
      for await (const payment of stream) await this.#repo.record(node.id, [reported(payment)]);
    })()
      .catch((err: unknown) => {
        if (!streamSignal.aborted) this.#deps.log.warn({ nodeId: node.id, err }, 'payment stream ended');
      })
      .finally(() => {
        // Followed again on the next call (with a full catch-up when it connects).
        if (this.#follows.get(node.id) === stop) this.#follows.delete(node.id);
      });
  }
}
