/**
 * Many wallets' first payments at once, for the JIT burst story and benchmark: wallets buy JIT
 * scids through a tenant's SDK, a payer sends every first payment together, and what the LSP
 * put on chain for them is read back (the funding transactions of the wallets' channels, with
 * their vsize from btcd).
 */
import { type Channel, type Hex32, type Msat, msat, type RouteHintHop } from '@blgv/core';
import { type LSPClient, lsps2OpeningFee } from '@blgv/lsp-client';
import type { Harness, LndNode } from '@blgv/regtest';
import type { JitWallet } from './jit-wallet.ts';
import { within } from './network.ts';

/** A first payment a wallet is waiting for: its invoice over its JIT scid and the fee agreed. */
export interface FirstPayment {
  readonly wallet: Pick<JitWallet, 'node'>;
  readonly paymentRequest: string;
  readonly paymentHash: Hex32;
  readonly fee: Msat;
}

/** What became of one payment of a burst. */
export interface BurstOutcome {
  readonly status: 'succeeded' | 'failed' | 'in_flight';
  /** From `sendPayment` called to its end. */
  readonly ms: number;
  /** The BOLT 4 failures, `code@hop` (empty when it succeeded). */
  readonly failures: readonly string[];
}

/**
 * `wallet` buys a JIT scid (through the tenant's SDK, on its behalf) and makes its invoice of
 * `amount` over it, agreeing to the menu's first fee.
 */
export async function firstPayment(
  client: LSPClient,
  wallet: JitWallet,
  amount: Msat,
): Promise<FirstPayment> {
  const [params] = (await client.lsps2.getInfo()).opening_fee_params_menu;
  if (!params) throw new Error('the LSP offers no fee menu');
  const bought = await client.lsps2.buy({
    opening_fee_params: params,
    client_node_pubkey: wallet.node.pubkey,
  });
  const fee = msat(lsps2OpeningFee(params, amount) ?? 0n);
  const invoice = await wallet.invoice(bought, amount, fee);
  return { wallet, paymentRequest: invoice.paymentRequest, paymentHash: invoice.paymentHash, fee };
}

/** Pays every request from `payer` at once (one part each); each payment's outcome and time. */
export function payAtOnce(payer: LndNode, paymentRequests: readonly string[]): Promise<BurstOutcome[]> {
  return Promise.all(
    paymentRequests.map(async (paymentRequest) => {
      const t0 = performance.now();
      const paid = await payer.lnd.sendPayment(
        { paymentRequest, feeLimit: msat(100_000), timeoutSeconds: 120, maxParts: 1 },
        within(180_000),
      );
      return {
        status: paid.status,
        ms: performance.now() - t0,
        failures:
          paid.status === 'failed' ? paid.attemptFailures.map((f) => `${f.code}@${f.sourceIndex}`) : [],
      };
    }),
  );
}

/** LND's default channel time-lock delta: the LSP's hop on a channel it opened. */
const LND_DEFAULT_TIME_LOCK_DELTA = 80;

/**
 * The route hint to `channel` (a private channel from the LSP, as the wallet lists it): the alias
 * the LSP gave it and the LSP's forwarding policy `routing` (its config's routing fees). Built
 * by hand because LND only picks hints for private channels once it has the LSP's node
 * announcement, which a fresh wallet may not have yet.
 */
export function openChannelHint(
  lsp: LndNode,
  channel: Channel | undefined,
  routing: { readonly baseFee: Msat; readonly feeRatePpm: number },
): RouteHintHop {
  if (!channel?.peerAliasScid) throw new Error('no open channel with an alias from the LSP');
  return {
    nodeId: lsp.pubkey,
    scid: channel.peerAliasScid,
    feeBaseMsat: routing.baseFee,
    feeProportionalMillionths: routing.feeRatePpm,
    cltvExpiryDelta: LND_DEFAULT_TIME_LOCK_DELTA,
  };
}

/**
 * The funding transactions of the channels `nodes` hold with `lsp` (open or pending): txid ->
 * how many of those channels it funds.
 */
export async function fundingTransactions(
  lsp: LndNode,
  nodes: readonly LndNode[],
): Promise<Map<string, number>> {
  const byTx = new Map<string, number>();
  for (const node of nodes) {
    const open = await node.lnd.listChannels(within());
    const pending = await node.lnd.pendingChannels(within());
    for (const c of [...open, ...pending]) {
      if (c.remotePubkey !== lsp.pubkey) continue;
      const txid = c.channelPoint.txid;
      byTx.set(txid, (byTx.get(txid) ?? 0) + 1);
    }
  }
  return byTx;
}

/** A transaction as btcd (run with a tx index) describes it. */
export interface ChainTransaction {
  readonly vsize: number;
  /** The outputs each input spends. */
  readonly vin: readonly { readonly txid: string; readonly vout: number }[];
  readonly vout: readonly { readonly value: number }[];
}

/** `txid` from btcd: in its mempool or a block. */
export function chainTransaction(h: Harness, txid: string): Promise<ChainTransaction> {
  return h.btcd.rpc<ChainTransaction>('getrawtransaction', [txid, 1]);
}

/**
 * A value btcd answers (BTC, as a JSON number) in sat: exact to the satoshi once scaled and
 * rounded.
 */
export function chainSat(btc: number): bigint {
  return BigInt(Math.round(btc * 1e8));
}

/** What transaction `txid` paid the miners, from btcd (its inputs' outputs less its own), sat. */
export async function transactionFee(h: Harness, txid: string): Promise<bigint> {
  const tx = await chainTransaction(h, txid);
  let fee = 0n;
  for (const i of tx.vin) {
    const spent = (await chainTransaction(h, i.txid)).vout[i.vout];
    if (!spent) throw new Error(`${txid} spends ${i.txid}:${i.vout}, which btcd does not have`);
    fee += chainSat(spent.value);
  }
  for (const o of tx.vout) fee -= chainSat(o.value);
  return fee;
}
