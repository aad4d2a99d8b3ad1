/**
 * A channel as the node's graph has it (`GetChanInfo`), with each end's forwarding policy.
 */
import {
  type ChannelEdge,
  type ChannelEdgePolicy,
  LspError,
  msat,
  parsePubkey,
  type Scid,
  scid,
} from '@blgv/core';
import type { RoutingPolicy__Output } from '../generated/types/lnrpc/RoutingPolicy.ts';
import { unary } from './call.ts';
import type { LndClients } from './connection.ts';

/** The channel `id` from the node's graph, or `undefined` when the graph does not hold it. */
export async function channelEdge(
  c: LndClients,
  id: Scid,
  signal: AbortSignal,
): Promise<ChannelEdge | undefined> {
  const ln = c.lightning;
  try {
    const e = await unary('GetChanInfo', ln.GetChanInfo.bind(ln), { chan_id: id.toString() }, signal);
    return {
      scid: scid(e.channel_id),
      node1: parsePubkey(e.node1_pub),
      node2: parsePubkey(e.node2_pub),
      node1Policy: policyFromLnd(e.node1_policy),
      node2Policy: policyFromLnd(e.node2_policy),
    };
  } catch (err) {
    if (err instanceof LspError && /edge not found|unable to find|not found/i.test(err.message))
      return undefined;
    throw err;
  }
}

function policyFromLnd(p: RoutingPolicy__Output | null): ChannelEdgePolicy | undefined {
  if (!p) return undefined;
  return {
    baseFee: msat(p.fee_base_msat),
    feeRatePpm: BigInt(p.fee_rate_milli_msat),
    inboundBaseFee: BigInt(p.inbound_fee_base_msat),
    inboundFeeRatePpm: BigInt(p.inbound_fee_rate_milli_msat),
    timeLockDelta: p.time_lock_delta,
    disabled: p.disabled,
    lastUpdate: new Date(p.last_update * 1000),
  };
}
