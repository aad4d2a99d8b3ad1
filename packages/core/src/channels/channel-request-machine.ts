/**
 * A channel sold over REST, as a state machine (the same shape as every machine: see
 * `machine.ts`).
 *
 * ```
 * queued --open_started--> opening --committed--> publishing --published--> pending --confirmed--> open --closed--> closed
 *    |                        |                        (funded from here: never refunded)
 *    +------open_failed-------+--> failed (refund)
 * ```
 *
 * `opening`: the LSP negotiates the channel; its funding transaction is not signed, so a
 * failure, a timeout or a crash here cancels for certain and refunds. `publishing` is the
 * commit point: it is persisted with the txid before the transaction is signed and published,
 * and from then on the channel counts as funded whatever happens.
 */

import { type Machine, type Moved, moved, refuse, type Step, states } from '../machine.ts';
import type { CommittedEvent, FundingCommitment } from './funding-machine.ts';

/** Where a channel request is. Final: `closed`, `failed`. */
export type ChannelRequestState =
  | 'queued'
  | 'opening'
  | 'publishing'
  | 'pending'
  | 'open'
  | 'closed'
  | 'failed';

/** What happens to a channel request. */
export type ChannelRequestEvent =
  | { readonly type: 'open_started' }
  | CommittedEvent
  | { readonly type: 'published' }
  | { readonly type: 'open_failed'; readonly reason: string }
  | { readonly type: 'confirmed' }
  | { readonly type: 'closed' };

/** What the runner does after persisting a transition. */
export type ChannelRequestEffect =
  | { readonly type: 'publish'; readonly fundingId: string }
  /** Give back everything charged for the channel. */
  | { readonly type: 'refund' };

/** What a transition records with the new state. */
export interface ChannelRequestRecord {
  readonly funding?: FundingCommitment;
  readonly failure?: string;
}

/** Final states. */
export const FINAL_CHANNEL_REQUEST_STATES: readonly ChannelRequestState[] = ['closed', 'failed'];

type ChannelRequestStep = Step<ChannelRequestState, ChannelRequestEffect, ChannelRequestRecord>;

/** The transition function. */
export function nextChannelRequestState(
  state: ChannelRequestState,
  event: ChannelRequestEvent,
): ChannelRequestStep {
  const go = (
    to: ChannelRequestState,
    effects: ChannelRequestEffect[] = [],
    record: ChannelRequestRecord = {},
  ): Moved<ChannelRequestState, ChannelRequestEffect, ChannelRequestRecord> => moved(to, effects, record);
  switch (event.type) {
    case 'open_started':
      return state === 'queued' ? go('opening') : refuse(state, event.type);
    case 'committed':
      if (state !== 'opening') return refuse(state, event.type);
      return go('publishing', [{ type: 'publish', fundingId: event.fundingId }], {
        funding: { fundingId: event.fundingId, txid: event.txid, outputIndex: event.outputIndex },
      });
    case 'published':
      return state === 'publishing' ? go('pending') : refuse(state, event.type);
    case 'open_failed':
      // Only before the commit point: a channel past it is funded and never refunded.
      if (state !== 'queued' && state !== 'opening') return refuse(state, event.type);
      return go('failed', [{ type: 'refund' }], { failure: event.reason });
    case 'confirmed':
      return state === 'pending' || state === 'publishing' ? go('open') : refuse(state, event.type);
    case 'closed':
      return state === 'publishing' || state === 'pending' || state === 'open'
        ? go('closed')
        : refuse(state, event.type);
  }
}

/** The channel request machine, as data. */
export const channelRequestMachine: Machine<
  ChannelRequestState,
  ChannelRequestEvent,
  ChannelRequestEffect,
  ChannelRequestRecord
> = {
  name: 'channel_request',
  states: states<ChannelRequestState>({
    queued: true,
    opening: true,
    publishing: true,
    pending: true,
    open: true,
    closed: true,
    failed: true,
  }),
  final: FINAL_CHANNEL_REQUEST_STATES,
  next: (state, event) => nextChannelRequestState(state, event),
};
