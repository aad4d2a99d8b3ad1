/**
 * JIT channels as members of a withheld funding (`funding/withheld-batch.ts`): how far each
 * one's client got, from its state.
 */
import type { JitChannelState } from '@blgv/core';
import { type Database, type JitChannelRecord, Lsps2JitChannelsRepository } from '@blgv/store';
import { memberChannelPoint, type WithheldMember, type WithheldMembers } from '../funding/withheld-batch.ts';

const STANDING: Partial<Record<JitChannelState, WithheldMember['standing']>> = {
  withheld: 'may_settle',
  awaiting_preimage: 'may_settle',
  releasing: 'settled',
  completed: 'settled',
  withdrawn: 'unpaid',
};

/** A JIT channel past its commit point as a member of its funding. */
export function jitMember(r: JitChannelRecord): WithheldMember {
  if (!r.fundingId) throw new Error(`JIT channel ${r.id} is ${r.state} without its funding`);
  return {
    id: r.id,
    fundingId: r.fundingId,
    channelPoint: memberChannelPoint(r.fundingTxid, r.fundingOutputIndex),
    client: r.clientPubkey,
    standing: STANDING[r.state] ?? 'other',
  };
}

/** The JIT channels of withheld fundings. */
export function jitMembers(database: Database): WithheldMembers {
  const repo = () => new Lsps2JitChannelsRepository(database.db);
  return {
    ofFunding: async (fundingId) => (await repo().byFunding(fundingId)).map(jitMember),
    unpaidWentOut: async () =>
      (await repo().withFundingIn(['withdrawn'], ['publishing', 'published'])).map(jitMember),
  };
}
