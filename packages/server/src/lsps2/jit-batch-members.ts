/**
 * JIT channels as members of a withheld funding (`funding/withheld-batch.ts`): how far each
 * one's client got, from its state.
 */
import type { JitChannelState } from '@blgv/core';
import { type Database, type JitChannelRecord, Lsps2JitChannelsRepository } from '@blgv/store';
import {
  type WithheldMember,
  type WithheldMembers,
  withheldMember,
  withheldMembers,
} from '../funding/withheld-batch.ts';

const STANDING: Partial<Record<JitChannelState, WithheldMember['standing']>> = {
  withheld: 'may_settle',
  awaiting_preimage: 'may_settle',
  releasing: 'settled',
  completed: 'settled',
  withdrawn: 'unpaid',
};

/** A JIT channel past its commit point as a member of its funding. */
export function jitMember(r: JitChannelRecord): WithheldMember {
  return withheldMember(r, jitFundingOwner(r.id), r.clientPubkey, STANDING);
}

/** A JIT channel's owner in its funding. */
export function jitFundingOwner(id: string): string {
  return `jit:${id}`;
}

/** The JIT channels of withheld fundings. */
export function jitMembers(database: Database): WithheldMembers {
  const repo = () => new Lsps2JitChannelsRepository(database.db);
  return withheldMembers(
    'jit:',
    {
      ofFunding: (fundingId) => repo().byFunding(fundingId),
      unpaidWentOut: () => repo().withFundingIn(['withdrawn'], ['publishing', 'published']),
    },
    jitMember,
  );
}
