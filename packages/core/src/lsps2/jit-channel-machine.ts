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
 * An open that does not reach the commit point (the client refused, went away or was too slow)
 * fails the held HTLCs back and the JIT scid waits for a payment again, until `valid_until`.
 * `forwarded` comes when the forwarded payment settles (the opening fee earned), not when it is
 * let go: a payment failed back (by the client, or by LND while no server ran) leaves the
 * channel `forwarding`, funded, for the payment to come again.
 */
import type { CommittedEvent } from '../channels/funding-machine.ts';
import type { Hex32, Scid } from '../ids.ts';
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
  | { readonly type: 'open_failed'; readonly reason: string }
  | { readonly type: 'forwarded' }
  | { readonly type: 'params_expired' };

/** What the forwarder does after persisting a transition. */
export type JitChannelEffect =
  | { readonly type: 'open_channel' }
  | { readonly type: 'publish'; readonly fundingId: string }
  | { readonly type: 'forward_htlcs' }
  | { readonly type: 'fail_htlcs' };

/** What a transition records: the event's facts. */
export interface JitRecord {
  readonly record: Omit<JitChannelEvent, 'type'>;
}

const NEXT: Readonly<
  Record<
    JitChannelEvent['type'],
    readonly [JitChannelState, JitChannelState, JitChannelEffect['type'] | undefined]
  >
> = {
  payment_arrived: ['awaiting_payment', 'opening', 'open_channel'],
  committed: ['opening', 'publishing', 'publish'],
  channel_ready: ['publishing', 'forwarding', 'forward_htlcs'],
  // Only before the commit point: a funded channel is never given up.
  open_failed: ['opening', 'awaiting_payment', 'fail_htlcs'],
  forwarded: ['forwarding', 'completed', undefined],
  params_expired: ['awaiting_payment', 'expired', 'fail_htlcs'],
};

/** The transition function. */
export function nextJitState(
  from: JitChannelState,
  event: JitChannelEvent,
): Step<JitChannelState, JitChannelEffect, JitRecord> {
  const [source, target, effect] = NEXT[event.type];
  if (from !== source) return refuse(from, event.type);
  const { type: _type, ...record } = event;
  const effects: JitChannelEffect[] =
    effect === undefined
      ? []
      : effect === 'publish' && event.type === 'committed'
        ? [{ type: 'publish', fundingId: event.fundingId }]
        : [{ type: effect } as JitChannelEffect];
  return moved(target, effects, { record });
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
