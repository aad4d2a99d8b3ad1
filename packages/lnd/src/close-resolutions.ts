/** LND's resolutions of a force close's outputs (`ClosedChannels`), as our domain type. */
import { type CloseResolution, parseHex32, sat } from '@blgv/core';
import type { Resolution__Output } from '../generated/types/lnrpc/Resolution.ts';

const KINDS: Record<string, CloseResolution['kind']> = {
  COMMIT: 'commit',
  ANCHOR: 'anchor',
  INCOMING_HTLC: 'incoming_htlc',
  OUTGOING_HTLC: 'outgoing_htlc',
};
const OUTCOMES: Record<string, CloseResolution['outcome']> = {
  CLAIMED: 'claimed',
  TIMEOUT: 'timeout',
  UNCLAIMED: 'unclaimed',
  ABANDONED: 'abandoned',
  FIRST_STAGE: 'first_stage',
};

/** The resolutions LND lists for a closed channel (those without an outpoint left out). */
export function closeResolutionsFromLnd(rs: readonly Resolution__Output[]): CloseResolution[] {
  return rs.flatMap((r) => {
    if (!r.outpoint?.txid_str) return [];
    const sweep = /^[0-9a-f]{64}$/.test(r.sweep_txid) ? { sweepTxid: parseHex32(r.sweep_txid) } : {};
    return [
      {
        kind: KINDS[String(r.resolution_type)] ?? 'unknown',
        outcome: OUTCOMES[String(r.outcome)] ?? 'unknown',
        outpoint: { txid: parseHex32(r.outpoint.txid_str), outputIndex: r.outpoint.output_index },
        amount: sat(r.amount_sat),
        ...sweep,
      },
    ];
  });
}
