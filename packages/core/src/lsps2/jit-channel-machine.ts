/**
 * The life of one LSPS2 JIT channel, as data (the one machine shape: see `machine.ts`). The
 * forwarder persists every transition before acting on it, so a restarted server knows whether
 * the channel is not funded (`opening`: its funding transaction was never signed), funded
 * (`publishing` and after), committed with its funding withheld (`withheld` and after: usable,
 * but nothing published), usable (`forwarding`, `awaiting_preimage`), or done.
 *
 * ```
 * awaiting_payment --payment_arrived--> opening --committed--> publishing --channel_ready--> forwarding --forwarded--> completed
 *        |      ^                          |                   (funded from here)
 *        |      +-------open_failed--------+
 *        |                                 +--withheld--> withheld --channel_ready--> awaiting_preimage --forwarded--> releasing --released--> completed
 *        |                                   (client_trusts_lsp)  |                            |
 *        |                                                        +--activation_failed--> withdrawn <--forward_failed--+
 *        +--params_expired--> expired
 * ```
 *
 * Which way a channel goes is the buy's trust model, the machine's context: with
 * `client_trusts_lsp` (bLIP-52) the funding is committed **withheld** (every peer signed, the LSP
 * did not: nothing can reach the chain), the channel made usable as it is, the payment forwarded
 * over it, and the funding released (signed and published) only once the forward settles, when
 * the LSP holds the preimage. A client that fails the forward (or never makes the channel usable)
 * costs no on-chain fee: the funding is withdrawn (the channel abandoned, the inputs back in the
 * wallet) and the JIT channel ends `withdrawn`, never settled. Without it the funding is
 * published at the commit point, as bLIP-52's default "LSP trusts client" asks.
 *
 * Each step names the work it calls for, and the forwarder's handler for each effect does it:
 * `open_channel` funds the channel through the one commit point (withheld or not), `publish`
 * publishes it and makes it usable, `activate` makes it usable without publishing,
 * `forward_htlcs` forwards the held payment over it, `fail_htlcs` fails the held parts back with
 * the BOLT 4 failure it names, `release_funding` publishes a withheld funding and
 * `withdraw_funding` gives it up.
 *
 * An open that does not reach the commit point (the client refused, went away or was too slow)
 * fails the held HTLCs back and the JIT scid waits for a payment again, until `valid_until`.
 * `forwarded` comes when the forwarded payment settles (the opening fee earned), not when it is
 * let go: a payment failed back (by the client, or by LND while no server ran) over a published
 * channel leaves it `forwarding`, funded, for the payment to come again.
 */
import type { CommittedEvent, FundingCommitment } from '../channels/funding-machine.ts';
import type { Hex32, Scid } from '../ids.ts';
import type { HtlcResolution } from '../lightning/types/htlcs.ts';
import { type Machine, moved, refuse, type Step, states } from '../machine.ts';
import type { Msat } from '../money.ts';

/** The states of a JIT channel. */
export type JitChannelState =
  | 'awaiting_payment'
  | 'opening'
  | 'publishing'
  | 'forwarding'
  | 'withheld'
  | 'awaiting_preimage'
  | 'releasing'
  | 'completed'
  | 'withdrawn'
  | 'expired';

/** States after which nothing happens any more. */
export const FINAL_JIT_STATES: readonly JitChannelState[] = ['completed', 'withdrawn', 'expired'];

/** What the JIT machine reads besides the state and the event: the buy's trust model. */
export interface JitContext {
  /** bLIP-52 `client_trusts_lsp`, as `lsps2.buy` answered it: the funding waits for the preimage. */
  readonly clientTrustsLsp: boolean;
}

/** What happens to a JIT channel. */
export type JitChannelEvent =
  | {
      readonly type: 'payment_arrived';
      readonly paymentHash: Hex32;
      readonly paymentSize: Msat;
      readonly fee: Msat;
    }
  | CommittedEvent
  /** The commit point with the funding withheld (`client_trusts_lsp`). */
  | ({ readonly type: 'withheld' } & FundingCommitment)
  | { readonly type: 'channel_ready'; readonly channelScid: Scid }
  | {
      readonly type: 'open_failed';
      readonly reason: string;
      /** The client refused the channel (bLIP-52: its parts fail with `unknown_next_peer`). */
      readonly refused: boolean;
    }
  /** A channel whose funding is withheld did not become usable in time. */
  | { readonly type: 'activation_failed'; readonly reason: string }
  /** The forwarded payment settled: the LSP holds the preimage, the opening fee is earned. */
  | { readonly type: 'forwarded' }
  /** The forward over a channel whose funding is withheld failed: the client never settled. */
  | { readonly type: 'forward_failed'; readonly reason: string }
  /** The withheld funding is published. */
  | { readonly type: 'released' }
  | { readonly type: 'params_expired' };

/** The BOLT 4 failure held HTLCs are failed back with. */
export type HeldHtlcFailure = Extract<HtlcResolution, { readonly action: 'fail' }>['failure'];

/** What the forwarder does after persisting a transition (its handler for each does it). */
export type JitChannelEffect =
  /**
   * Fund the channel through the funder's commit point, its funding withheld when `withhold`
   * (or, when it is not funded, say so).
   */
  | { readonly type: 'open_channel'; readonly withhold: boolean }
  /** Publish the committed funding and make the channel usable (active, the JIT scid its alias). */
  | { readonly type: 'publish'; readonly fundingId: string }
  /** Make the channel usable (active, the JIT scid its alias) with its funding withheld. */
  | { readonly type: 'activate'; readonly fundingId: string }
  /** Forward the held payment over the new channel. */
  | { readonly type: 'forward_htlcs' }
  /** Fail the held parts back with `failure`. */
  | { readonly type: 'fail_htlcs'; readonly failure: HeldHtlcFailure }
  /** Publish the withheld funding (the client paid for the channel). */
  | { readonly type: 'release_funding' }
  /** Give up the withheld funding: the channel abandoned, its inputs back in the wallet. */
  | { readonly type: 'withdraw_funding' };

/** What a transition records: the event's facts. */
export interface JitRecord {
  readonly record: Omit<JitChannelEvent, 'type'>;
}

type Moves = Partial<Record<JitChannelState, JitChannelState>>;

/** Where each event leads from each state it applies in. */
const NEXT: Readonly<Record<JitChannelEvent['type'], Moves>> = {
  payment_arrived: { awaiting_payment: 'opening' },
  committed: { opening: 'publishing' },
  withheld: { opening: 'withheld' },
  channel_ready: { publishing: 'forwarding', withheld: 'awaiting_preimage' },
  // Only before the commit point: a funded channel is never given up.
  open_failed: { opening: 'awaiting_payment' },
  activation_failed: { withheld: 'withdrawn' },
  forwarded: { forwarding: 'completed', awaiting_preimage: 'releasing' },
  forward_failed: { awaiting_preimage: 'withdrawn' },
  released: { releasing: 'completed' },
  params_expired: { awaiting_payment: 'expired' },
};

/** The work an event calls for once its step is written (from `from`). */
function effectsOf(event: JitChannelEvent, from: JitChannelState, context: JitContext): JitChannelEffect[] {
  switch (event.type) {
    case 'payment_arrived':
      return [{ type: 'open_channel', withhold: context.clientTrustsLsp }];
    case 'committed':
      return [{ type: 'publish', fundingId: event.fundingId }];
    case 'withheld':
      return [{ type: 'activate', fundingId: event.fundingId }];
    case 'channel_ready':
      return [{ type: 'forward_htlcs' }];
    case 'open_failed':
      // bLIP-52: unknown_next_peer when the client refused the channel; otherwise (it did not
      // answer, or went away) temporary_channel_failure, the JIT scid waiting for the payment again.
      return [
        { type: 'fail_htlcs', failure: event.refused ? 'unknown_next_peer' : 'temporary_channel_failure' },
      ];
    case 'activation_failed':
      return [{ type: 'fail_htlcs', failure: 'temporary_channel_failure' }, { type: 'withdraw_funding' }];
    case 'forward_failed':
      return [{ type: 'withdraw_funding' }];
    case 'forwarded':
      // Over a channel whose funding is withheld, the preimage is what it waited for.
      return from === 'awaiting_preimage' ? [{ type: 'release_funding' }] : [];
    case 'params_expired':
      // bLIP-52: the JIT scid no longer leads anywhere.
      return [{ type: 'fail_htlcs', failure: 'unknown_next_peer' }];
    case 'released':
      return [];
  }
}

/** The transition function. */
export function nextJitState(
  from: JitChannelState,
  event: JitChannelEvent,
  context: JitContext,
): Step<JitChannelState, JitChannelEffect, JitRecord> {
  const target = NEXT[event.type][from];
  if (target === undefined) return refuse(from, event.type);
  // The commit point goes the buy's way: withheld when the client trusts the LSP, else published.
  if (event.type === 'committed' && context.clientTrustsLsp)
    return refuse(from, event.type, 'the funding of a client_trusts_lsp channel is withheld');
  if (event.type === 'withheld' && !context.clientTrustsLsp)
    return refuse(from, event.type, 'the funding of a channel the LSP trusts the client for is published');
  const { type: _type, ...record } = event;
  return moved(target, effectsOf(event, from, context), { record });
}

/** The JIT channel machine, as data. */
export const jitChannelMachine: Machine<
  JitChannelState,
  JitChannelEvent,
  JitChannelEffect,
  JitRecord,
  JitContext
> = {
  name: 'jit_channel',
  states: states<JitChannelState>({
    awaiting_payment: true,
    opening: true,
    publishing: true,
    forwarding: true,
    withheld: true,
    awaiting_preimage: true,
    releasing: true,
    completed: true,
    withdrawn: true,
    expired: true,
  }),
  final: FINAL_JIT_STATES,
  next: (state, event, context) => nextJitState(state, event, context),
};
