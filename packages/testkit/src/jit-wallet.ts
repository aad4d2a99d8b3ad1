/**
 * A wallet that receives through LSPS2 JIT channels on an `lnd-lsps2-client` node: it runs
 * `runLsps2Client` against the LSP, remembers the opening fee it agreed to per payment hash,
 * makes invoices with the JIT route hint, and records every decision of its HTLC modifier.
 */
import {
  type CreatedInvoice,
  type Hex32,
  type InvoiceHtlc,
  type InvoiceHtlcDecision,
  type Msat,
  msat,
  type Pubkey,
  parsePubkey,
  scid,
} from '@blgv/core';
import { runLsps2Client } from '@blgv/lnd';
import { lsps2RouteHint } from '@blgv/lsp-client';
import type { Lsps2BuyResult } from '@blgv/protocol';
import type { Harness, LndNode } from '@blgv/regtest';
import { within } from './network.ts';

/** One decision of the wallet's invoice HTLC modifier. */
export interface SeenHtlc {
  readonly htlc: InvoiceHtlc;
  readonly decision: InvoiceHtlcDecision;
}

/** A JIT-receiving wallet on `node`, whose LSP is `lsp`. */
export class JitWallet {
  readonly node: LndNode;
  readonly lsp: LndNode;
  /** Decisions on HTLCs carrying `extra_fee`, in order. */
  readonly seen: SeenHtlc[] = [];
  /**
   * Times its acceptor or invoice modifier (re)connected once both were up: after the node
   * restarts, it rises by 2 when both are back.
   */
  connections = 0;
  /**
   * Runs when an HTLC carrying `extra_fee` reaches the wallet, before it answers (and so before
   * it settles or cancels): a story looks at the world while the wallet holds the HTLC. It must
   * be quick: the node counts an HTLC as it is when the answer takes more than 5 s.
   */
  onHtlc: ((paymentHash: Hex32) => Promise<void>) | undefined;
  readonly #allowances = new Map<Hex32, Msat>();

  private constructor(node: LndNode, lsp: LndNode) {
    this.node = node;
    this.lsp = lsp;
  }

  /** Connects `node` to `lsp` and starts its LSPS2 hooks (until `signal` aborts). */
  static async start(h: Harness, node: LndNode, lsp: LndNode, signal: AbortSignal): Promise<JitWallet> {
    const wallet = new JitWallet(node, lsp);
    await node.lnd.connectPeer(lsp.pubkey, lsp.host, within());
    let up = false;
    await runLsps2Client(node.lnd, {
      lsp: lsp.pubkey,
      maxFee: async (hash) => {
        await wallet.onHtlc?.(hash);
        return wallet.#allowances.get(hash);
      },
      onDecision: (htlc, decision) => wallet.seen.push({ htlc, decision }),
      onConnected: () => {
        up = true;
        wallet.connections++;
      },
      signal,
    });
    await h.waitFor(() => up, { what: `${node.name}'s LSPS2 acceptor and invoice modifier` });
    return wallet;
  }

  /**
   * An invoice of `amount` whose only route is the bought JIT scid, for which the wallet
   * accepts `fee` deducted in total.
   */
  async invoice(bought: Lsps2BuyResult, amount: Msat, fee: Msat): Promise<CreatedInvoice> {
    const created = await jitInvoice(this.node, this.lsp.pubkey, bought, amount);
    this.#allowances.set(created.paymentHash, fee);
    return created;
  }

  /** The decisions on HTLCs paying `hash`. */
  htlcsOf(hash: Hex32): SeenHtlc[] {
    return this.seen.filter((s) => s.htlc.paymentHash === hash);
  }
}

/** An invoice of `amount` by `node` whose only route is the JIT scid it bought from `lsp`. */
export function jitInvoice(
  node: LndNode,
  lsp: Pubkey,
  bought: Lsps2BuyResult,
  amount: Msat,
): Promise<CreatedInvoice> {
  const hint = lsps2RouteHint(lsp, bought);
  return node.lnd.addInvoice(
    {
      amount,
      memo: 'jit',
      routeHints: [
        [
          {
            nodeId: parsePubkey(hint.nodeId),
            scid: scid(hint.chanId),
            feeBaseMsat: msat(hint.feeBaseMsat),
            feeProportionalMillionths: hint.feeProportionalMillionths,
            cltvExpiryDelta: hint.cltvExpiryDelta,
          },
        ],
      ],
    },
    within(),
  );
}
