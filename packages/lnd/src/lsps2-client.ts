/**
 * The wallet's side of LSPS2 (bLIP-52) on an LND node: accept the LSP's zero-conf JIT channel,
 * and accept the payment it forwards with the opening fee deducted.
 *
 * The LSP forwards each HTLC with `extra_fee` (TLV 65537, bLIP-25) less than the onion says.
 * Two things must give for the wallet's invoice to settle: LND's exit-hop link must let the
 * short HTLC through (the `lnd-lsps2-client` binary does that for HTLCs carrying 65537), and
 * the invoice registry must count it as paying the full amount. The second is this hook: it
 * runs LND's invoice HTLC modifier and answers `amt_paid = amount + extra_fee` while the fees
 * claimed for the payment hash stay within the opening fee the wallet agreed to. Otherwise it
 * cancels the HTLC set at once (an underpaid multi-part set would be held for LND's 120 s MPP
 * timeout before failing). HTLCs without 65537 are left alone.
 */
import {
  type ChannelsPort,
  type Hex32,
  type InvoiceHtlc,
  type InvoiceHtlcDecision,
  type InvoicesPort,
  type Msat,
  msat,
  type Pubkey,
  type StreamOptions,
} from '@blgv/core';

/** The `update_add_htlc` TLV type of `extra_fee` (bLIP-25): what the LSP deducted, msat, u64. */
export const EXTRA_FEE_TLV_TYPE = 65537n;

/** The `extra_fee` an HTLC carries; `undefined` when absent or not a big-endian u64. */
export function extraFee(records: ReadonlyMap<bigint, Uint8Array>): Msat | undefined {
  const value = records.get(EXTRA_FEE_TLV_TYPE);
  if (value?.length !== 8) return undefined;
  return msat(Buffer.from(value).readBigUInt64BE(0));
}

/** The `extra_fee` TLV record for `fee` (what an LSP sets when it forwards). */
export function extraFeeRecord(fee: Msat): Map<bigint, Uint8Array> {
  const value = Buffer.alloc(8);
  value.writeBigUInt64BE(fee);
  return new Map([[EXTRA_FEE_TLV_TYPE, new Uint8Array(value)]]);
}

/**
 * The LSPS2 fee rule for one HTLC, given the opening fee the wallet agreed to for its payment
 * hash (`undefined`: none). The fees already claimed are those of the HTLCs the invoice holds
 * that are not cancelled, so a part that failed and came again is not counted twice.
 */
export function lsps2HtlcDecision(htlc: InvoiceHtlc, allowance: Msat | undefined): InvoiceHtlcDecision {
  const fee = extraFee(htlc.wireCustomRecords);
  if (fee === undefined) return {};
  if (allowance === undefined) return { cancelSet: true };
  let claimed: bigint = fee;
  for (const other of htlc.invoiceHtlcs) {
    if (other.state === 'canceled') continue;
    if (other.incomingScid === htlc.incomingScid && other.incomingHtlcId === htlc.incomingHtlcId) continue;
    claimed += extraFee(other.customRecords) ?? 0n;
  }
  if (claimed > allowance) return { cancelSet: true };
  return { amountPaid: msat(htlc.amount + fee) };
}

/** Options of {@link runLsps2Client}. */
export interface Lsps2ClientOptions extends StreamOptions {
  /** The LSP: its channel opens are accepted as zero-conf. */
  readonly lsp: Pubkey;
  /**
   * The most opening fee the wallet agreed to pay for this payment hash (what it computed from
   * the `opening_fee_params` it bought with), or `undefined` when it bought none for it.
   */
  readonly maxFee: (paymentHash: Hex32, invoiceAmount: Msat) => Msat | undefined | Promise<Msat | undefined>;
  /** Told of every decision on an HTLC carrying `extra_fee` (for logs and tests). */
  readonly onDecision?: (htlc: InvoiceHtlc, decision: InvoiceHtlcDecision) => void;
}

/**
 * Runs the wallet's LSPS2 hooks on `backend` until the signal aborts: a channel acceptor that
 * takes the LSP's opens as zero-conf (others are accepted as LND would), and the invoice HTLC
 * modifier applying {@link lsps2HtlcDecision}. The node must be `lnd-lsps2-client`; on stock
 * LND the fee-deducted HTLC is refused before the modifier sees it. `onConnected` is called
 * once both streams are up (and again after each reconnect).
 */
export async function runLsps2Client(
  backend: Pick<ChannelsPort, 'acceptChannels'> & Pick<InvoicesPort, 'modifyInvoiceHtlcs'>,
  options: Lsps2ClientOptions,
): Promise<void> {
  const up = { acceptor: false, modifier: false };
  const connected = (which: keyof typeof up) => () => {
    up[which] = true;
    if (up.acceptor && up.modifier) options.onConnected?.();
  };
  await backend.acceptChannels(
    (p) => ({ accept: true, zeroConf: p.remotePubkey === options.lsp && p.wantsZeroConf }),
    { signal: options.signal, onConnected: connected('acceptor') },
  );
  await backend.modifyInvoiceHtlcs(
    async (htlc) => {
      if (extraFee(htlc.wireCustomRecords) === undefined) return {};
      let decision: InvoiceHtlcDecision;
      try {
        decision = lsps2HtlcDecision(htlc, await options.maxFee(htlc.paymentHash, htlc.invoice.amount));
      } catch {
        decision = { cancelSet: true };
      }
      options.onDecision?.(htlc, decision);
      return decision;
    },
    { signal: options.signal, onConnected: connected('modifier') },
  );
}
