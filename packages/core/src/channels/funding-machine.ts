/**
 * A funding transaction the LSP builds, as a state machine (the one shape: see `machine.ts`).
 *
 * ```
 * negotiating --committed--> publishing --published--> published
 *      |                    (the commit point: funded from here)
 *      |--withheld--> withheld --released--> publishing
 *      |                  +--withdrawn--> withdrawn (never signed by us, never published)
 *      +--cancelled--> cancelled (never signed, never published)
 * ```
 *
 * `negotiating`: peers are asked to sign; nothing is signed on our side, so nothing can reach
 * the chain. `publishing` is written, with the txid and the PSBT, before the transaction is
 * signed and published; a restart publishes it again.
 *
 * `withheld` is a commit point that keeps the transaction back: every peer signed its
 * commitment, so a zero-conf channel is usable at once, but the LSP has not signed the
 * transaction, so no one can publish it. Its owner releases it (signed and published, as
 * `committed` does) once the client has paid for the channel by settling an HTLC over it, or
 * withdraws it when the client never does: the channels are abandoned and the inputs go back to
 * the wallet, and the chain never saw anything (bLIP-52's `client_trusts_lsp`).
 */
import { type Machine, moved, refuse, type Step, states } from '../machine.ts';

/** Where a funding transaction is. Final: `published`, `cancelled`, `withdrawn`. */
export type FundingState =
  | 'negotiating'
  | 'publishing'
  | 'published'
  | 'cancelled'
  | 'withheld'
  | 'withdrawn';

/** Where a buyer's channel was committed: the funding attempt, its txid and the channel's output. */
export interface FundingCommitment {
  readonly fundingId: string;
  readonly txid: string;
  readonly outputIndex: number;
}

/** The event a buyer's machine (channel request, LSPS1 order, JIT channel) takes at the commit point. */
export type CommittedEvent = { readonly type: 'committed' } & FundingCommitment;

/** What happens to a funding transaction. */
export type FundingEvent =
  | { readonly type: 'committed' }
  | { readonly type: 'withheld' }
  | { readonly type: 'released' }
  | { readonly type: 'withdrawn'; readonly reason: string }
  | { readonly type: 'published' }
  | { readonly type: 'cancelled'; readonly reason: string };

/** What the funder does after persisting a transition. */
export type FundingEffect =
  | { readonly type: 'sign_and_publish' }
  /** Cancel the negotiations, abandon what peers signed, release the leased inputs. */
  | { readonly type: 'unwind' };

/** The transition function. */
export function nextFundingState(
  state: FundingState,
  event: FundingEvent,
): Step<FundingState, FundingEffect, { readonly failure?: string }> {
  switch (event.type) {
    case 'committed':
      return state === 'negotiating'
        ? moved('publishing', [{ type: 'sign_and_publish' }])
        : refuse(state, event.type);
    case 'withheld':
      return state === 'negotiating' ? moved('withheld') : refuse(state, event.type);
    case 'released':
      return state === 'withheld'
        ? moved('publishing', [{ type: 'sign_and_publish' }])
        : refuse(state, event.type);
    case 'withdrawn':
      // Only a withheld transaction: one the LSP signed may be out, and is published, never dropped.
      return state === 'withheld'
        ? moved('withdrawn', [{ type: 'unwind' }], { failure: event.reason })
        : refuse(state, event.type);
    case 'published':
      return state === 'publishing' ? moved('published') : refuse(state, event.type);
    case 'cancelled':
      // Only before the commit point: a committed transaction is published, never cancelled.
      return state === 'negotiating'
        ? moved('cancelled', [{ type: 'unwind' }], { failure: event.reason })
        : refuse(state, event.type);
  }
}

/** The funding transaction machine, as data. */
export const fundingMachine: Machine<
  FundingState,
  FundingEvent,
  FundingEffect,
  { readonly failure?: string }
> = {
  name: 'channel_funding',
  states: states<FundingState>({
    negotiating: true,
    publishing: true,
    published: true,
    cancelled: true,
    withheld: true,
    withdrawn: true,
  }),
  final: ['published', 'cancelled', 'withdrawn'],
  next: (state, event) => nextFundingState(state, event),
};
