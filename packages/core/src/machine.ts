/**
 * The one shape of every state machine in the LSP (channel requests, LSPS1 orders, JIT
 * channels, reservations, liquidity purchases, channel fundings): a pure function takes the
 * current state and an event and answers with the next state and the effects to perform, or
 * with a refusal when the event does not apply. Runners persist the new state (with the facts
 * the step records) before performing the effects, and retry failed effects until the machine
 * reaches a final state.
 */

/** The event moved the machine: the next state, the effects to perform, and what to record. */
export type Moved<S, F, R extends object = object> = {
  readonly ok: true;
  readonly state: S;
  readonly effects: readonly F[];
} & R;

/** The event does not apply in this state (a late or repeated event, or a bug in the caller). */
export interface Refusal {
  readonly ok: false;
  /** Why, in words or as a short code the caller acts on. */
  readonly reason: string;
}

/** What a transition function answers. */
export type Step<S, F, R extends object = object> = Moved<S, F, R> | Refusal;

/** The refusal of `event` in `state`. */
export function refuse(state: string, event: string, reason?: string): Refusal {
  return { ok: false, reason: reason ?? `${event} does not apply in state ${state}` };
}

/** A moved step. */
export function moved<S, F, R extends object = object>(
  state: S,
  effects: readonly F[] = [],
  record?: R,
): Moved<S, F, R> {
  return { ok: true, state, effects, ...(record ?? ({} as R)) };
}
