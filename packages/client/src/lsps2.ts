/**
 * The wallet's side of LSPS2 (bLIP-52): checking a fee offer, and the route hint the wallet
 * puts in its invoice once it has bought a JIT scid. No I/O: the calls themselves are
 * `LSPClient.lsps2` (HTTP) or the wallet's own peer-message transport.
 */
import type { Lsps2BuyResult, OpeningFeeParams } from '@blgv/protocol';

/** One hop of a BOLT11 route hint (field names as LND's `HopHint`). */
export interface RouteHintHop {
  /** The LSP's node id. */
  readonly nodeId: string;
  /** The JIT scid as an unsigned 64-bit integer. */
  readonly chanId: bigint;
  /** The scid as `<block>x<tx>x<output>`. */
  readonly shortChannelId: string;
  readonly feeBaseMsat: number;
  readonly feeProportionalMillionths: number;
  readonly cltvExpiryDelta: number;
}

/** Parses `<block>x<tx>x<output>` into the 64-bit integer form. */
export function scidToBigInt(scid: string): bigint {
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(scid);
  if (!m) throw new RangeError(`not a short channel id: ${scid}`);
  const [block, tx, out] = [BigInt(m[1] as string), BigInt(m[2] as string), BigInt(m[3] as string)];
  if (block >= 1n << 24n || tx >= 1n << 24n || out >= 1n << 16n)
    throw new RangeError(`not a short channel id: ${scid}`);
  return (block << 40n) | (tx << 16n) | out;
}

/**
 * The route hint for an invoice paid through a JIT channel: one hop from the LSP over the JIT
 * scid, with zero fees (the LSP takes its fee from the payment) and the LSP's CLTV delta.
 */
export function lsps2RouteHint(lspNodeId: string, bought: Lsps2BuyResult): RouteHintHop {
  return {
    nodeId: lspNodeId,
    chanId: scidToBigInt(bought.jit_channel_scid),
    shortChannelId: bought.jit_channel_scid,
    feeBaseMsat: 0,
    feeProportionalMillionths: 0,
    cltvExpiryDelta: bought.lsp_cltv_expiry_delta,
  };
}

/**
 * The opening fee (msat) the LSP may deduct for a payment of `paymentSizeMsat`:
 * `max(min_fee_msat, ceil(payment * proportional / 1e6))`, or `undefined` on 64-bit overflow.
 */
export function lsps2OpeningFee(params: OpeningFeeParams, paymentSizeMsat: bigint): bigint | undefined {
  const product = paymentSizeMsat * BigInt(params.proportional);
  if (product + 999_999n >= 1n << 64n) return undefined;
  const proportional = (product + 999_999n) / 1_000_000n;
  const min = BigInt(params.min_fee_msat);
  return proportional > min ? proportional : min;
}
