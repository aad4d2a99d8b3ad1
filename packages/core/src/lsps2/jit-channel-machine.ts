/**
 * The life of one LSPS2 JIT channel, as data (the one machine shape: see `machine.ts`). The
 * forwarder persists every transition before acting on it, so a restarted server knows whether
 * the channel is not funded (`opening`: its funding transaction was never signed), funded
 * (`publishing` and after), usable (`forwarding`), or done.
 *
 * ```
 * awaiting_payment --payment_arrived--> opening --committed--> publishing --channel_ready--> forwarding --forwarded--> completed
 *        |      ^                          |                   (funded from here)
 *        |      +-------open_failed--------+  (HTLCs failed back; bLIP-52: back to waiting for payment)
 *        +--params_expired--> expired
 * ```
 *
 * Each step names the work it calls for, and the forwarder's handler for each effect does it:
 * `open_channel` funds the channel through the one commit point, `publish` publishes it and
 * makes it usable, `forward_htlcs` forwards the held payment over it, `fail_htlcs` fails the
 * held parts back with the BOLT 4 failure it names.
 *
 * An open that does not reach the commit point (the client refused, went away or was too slow)
 * fails the held HTLCs back and the JIT scid waits for a payment again, until `valid_until`.
 * `forwarded` comes when the forwarded payment settles (the opening fee earned), not when it is
 * let go: a payment failed back (by the client, or by LND while no server ran) leaves the
 * channel `forwarding`, funded, for the payment to come again.
 */
import type { CommittedEvent } from '../channels/funding-machine.ts';
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
  | 'completed'
  | 'expired';

/** States after which nothing happens any more. */
export const FINAL_JIT_STATES: readonly JitChannelState[] = ['completed', 'expired'];

/** What happens to a JIT channel. */
export type JitChannelEvent =
  | {
      readonly type: 'payment_arrived';
      readonly paymentHash: Hex32;
      readonly paymentSize: Msat;
      readonly fee: Msat;
    }
  | CommittedEvent
  | { readonly type: 'channel_ready'; readonly channelScid: Scid }
  | {
      readonly type: 'open_failed';
      readonly reason: string;
      /** The client refused the channel (bLIP-52: its parts fail with `unknown_next_peer`). */
      readonly refused: boolean;
    }
  | { readonly type: 'forwarded' }
  | { readonly type: 'params_expired' };

/** The BOLT 4 failure held HTLCs are failed back with. */
export type HeldHtlcFailure = Extract<HtlcResolution, { readonly action: 'fail' }>['failure'];

/** What the forwarder does after persisting a transition (its handler for each does it). */
export type JitChannelEffect =
  /** Fund the channel through the funder's commit point (or, when it is not funded, say so). */
  | { readonly type: 'open_channel' }
  /** Publish the committed funding and make the channel usable (active, the JIT scid its alias). */
  | { readonly type: 'publish'; readonly fundingId: string }
  /** Forward the held payment over the new channel. */
  | { readonly type: 'forward_htlcs' }
  /** Fail the held parts back with `failure`. */
  | { readonly type: 'fail_htlcs'; readonly failure: HeldHtlcFailure };

/** What a transition records: the event's facts. */
export interface JitRecord {
  readonly record: Omit<JitChannelEvent, 'type'>;
}

const NEXT: Readonly<Record<JitChannelEvent['type'], readonly [JitChannelState, JitChannelState]>> = {
  payment_arrived: ['awaiting_payment', 'opening'],
  committed: ['opening', 'publishing'],
  channel_ready: ['publishing', 'forwarding'],
  // Only before the commit point: a funded channel is never given up.
  open_failed: ['opening', 'awaiting_payment'],
  forwarded: ['forwarding', 'completed'],
  params_expired: ['awaiting_payment', 'expired'],
};

/** The work an event calls for once its step is written. */
function effectsOf(event: JitChannelEvent): JitChannelEffect[] {
  switch (event.type) {
    case 'payment_arrived':
      return [{ type: 'open_channel' }];
    case 'committed':
      return [{ type: 'publish', fundingId: event.fundingId }];
    case 'channel_ready':
      return [{ type: 'forward_htlcs' }];
    case 'open_failed':
      // bLIP-52: unknown_next_peer when the client refused the channel; otherwise (it did not
      // answer, or went away) temporary_channel_failure, the JIT scid waiting for the payment again.
      return [
        { type: 'fail_htlcs', failure: event.refused ? 'unknown_next_peer' : 'temporary_channel_failure' },
      ];
    case 'params_expired':
      // bLIP-52: the JIT scid no longer leads anywhere.
      return [{ type: 'fail_htlcs', failure: 'unknown_next_peer' }];
    case 'forwarded':
      return [];
  }
}

/** The transition function. */
export function nextJitState(
  from: JitChannelState,
  event: JitChannelEvent,
): Step<JitChannelState, JitChannelEffect, JitRecord> {
  const [source, target] = NEXT[event.type];
  if (from !== source) return refuse(from, event.type);
  const { type: _type, ...record } = event;
  return moved(target, effectsOf(event), { record });
}

/** The JIT channel machine, as data. */
export const jitChannelMachine: Machine<JitChannelState, JitChannelEvent, JitChannelEffect, JitRecord> = {
  name: 'jit_channel',
  states: states<JitChannelState>({
    awaiting_payment: true,
    opening: true,
    publishing: true,
    forwarding: true,
    completed: true,
    expired: true,
  }),
  final: FINAL_JIT_STATES,
  next: (state, event) => nextJitState(state, event),
};
