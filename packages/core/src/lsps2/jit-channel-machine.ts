/**
 * The life of one LSPS2 JIT channel, as data. The forwarder persists every transition before
 * acting on it, so a restarted server knows whether a channel may already be funded
 * (`opening`), is usable (`forwarding`), or is done.
 *
 * ```
 * awaiting_payment --payment_arrived--> opening --channel_ready--> forwarding --forwarded--> completed
 *        |                                 |
 *        +--params_expired--> expired      +--open_failed--> failed
 * ```
 */
import type { Hex32, Scid } from '../ids.ts';
import type { Msat } from '../money.ts';

/** The states of a JIT channel. */
export type JitChannelState =
  | 'awaiting_payment'
  | 'opening'
  | 'forwarding'
  | 'completed'
  | 'failed'
  | 'expired';

/** States after which nothing happens any more. */
export const FINAL_JIT_STATES: readonly JitChannelState[] = ['completed', 'failed', 'expired'];

/** What happens to a JIT channel. */
export type JitChannelEvent =
  | {
      readonly type: 'payment_arrived';
      readonly paymentHash: Hex32;
      readonly paymentSize: Msat;
      readonly fee: Msat;
    }
  | {
      readonly type: 'channel_ready';
      readonly txid: Hex32;
      readonly outputIndex: number;
      readonly channelScid: Scid;
    }
  | { readonly type: 'open_failed'; readonly reason: string }
  | { readonly type: 'forwarded' }
  | { readonly type: 'params_expired' };

/** A transition: the new state and what to record with it. */
export interface JitTransition {
  readonly state: JitChannelState;
  readonly record: Omit<JitChannelEvent, 'type'>;
}

const NEXT: Readonly<Record<JitChannelEvent['type'], readonly [JitChannelState, JitChannelState]>> = {
  payment_arrived: ['awaiting_payment', 'opening'],
  channel_ready: ['opening', 'forwarding'],
  open_failed: ['opening', 'failed'],
  forwarded: ['forwarding', 'completed'],
  params_expired: ['awaiting_payment', 'expired'],
};

/** The state `event` leads to from `from`, or `undefined` when it does not apply there. */
export function nextJitState(from: JitChannelState, event: JitChannelEvent): JitTransition | undefined {
  const [source, target] = NEXT[event.type];
  if (from !== source) return undefined;
  const { type: _type, ...record } = event;
  return { state: target, record };
}
