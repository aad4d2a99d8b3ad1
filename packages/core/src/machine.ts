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

/** An event, an effect: each names its kind in `type`. */
export interface Typed {
  readonly type: string;
}

/**
 * A state machine described as data: its states (every one, for the store's checks and the
 * event types), its final states, and its transition function. `C` is what the function reads
 * besides the state and the event (the payment method of an order, a reservation's amounts,
 * a retry policy); `void` when it reads nothing.
 */
export interface Machine<
  S extends string,
  E extends Typed,
  F extends Typed,
  R extends object = object,
  C = void,
> {
  /** The subject kind its transitions are logged under (the event log's `subject_kind`). */
  readonly name: string;
  /** Every state, in the order the machine usually goes through them. */
  readonly states: readonly S[];
  /** States after which nothing happens any more. */
  readonly final: readonly S[];
  /** The transition function. */
  readonly next: (state: S, event: E, context: C) => Step<S, F, R>;
}

/**
 * Every member of a string union, once, in the order written: a missing or unknown one is a
 * compile error (`states<'a' | 'b'>({ a: true, b: true })`).
 */
export function states<S extends string>(all: Record<S, true>): readonly S[] {
  return Object.keys(all) as S[];
}

/**
 * What performs each effect of a machine, one handler per effect type: the map must name every
 * effect the machine can ask for, so an effect can be neither forgotten nor left unused.
 */
export type EffectHandlers<F extends Typed, X = void> = {
  readonly [K in F['type']]: (effect: Extract<F, { readonly type: K }>, with_: X) => Promise<void> | void;
};

/** True when `state` is one of the machine's final states. */
export function isFinal<S extends string>(machine: { readonly final: readonly S[] }, state: S): boolean {
  return machine.final.includes(state);
}
