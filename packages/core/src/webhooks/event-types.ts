/**
 * The event types a tenant's webhook can ask for: `<subject kind>.<state>` for each subject kind
 * of the event log a tenant sees, with every state it can be in (checked against the machines'
 * own state types, so a state added there must be added here).
 */
import type { ChannelRequestState } from '../channels/channel-request-machine.ts';
import type { HostedNodeState } from '../hosting/hosted-node.ts';
import type { ReservationState } from '../liquidity/reservation.ts';
import type { OrderState } from '../lsps1/order-machine.ts';
import type { JitChannelState } from '../lsps2/jit-channel-machine.ts';

/** Every key of a union, once: a missing or unknown one is a compile error. */
function all<S extends string>(states: Record<S, true>): readonly S[] {
  return Object.keys(states) as S[];
}

/** The states of each subject kind a tenant's webhook can receive. */
export const WEBHOOK_EVENT_STATES: Readonly<Record<string, readonly string[]>> = {
  channel_request: all<ChannelRequestState>({
    queued: true,
    opening: true,
    publishing: true,
    pending: true,
    open: true,
    closed: true,
    failed: true,
  }),
  payment: ['pending', 'succeeded', 'failed'],
  reservation: all<ReservationState>({ active: true, released: true, expired: true, exhausted: true }),
  topup: ['open', 'settled', 'canceled'],
  ledger_entry: [
    'topup',
    'channel_fee',
    'channel_fee_refund',
    'channel_push',
    'channel_network_fee',
    'channel_refund',
    'reservation_fee',
    'reservation_purchase_fee',
    'reservation_refund',
    'payment',
    'routing_fee',
    'utilization_fee',
    'payment_refund',
    'hosting_monthly_fee',
    'hosting_transaction_fee',
    'hosting_fee_refund',
  ],
  lsps1_order: all<OrderState>({
    awaiting_payment: true,
    payment_held: true,
    opening: true,
    publishing: true,
    settling: true,
    completed: true,
    refunding: true,
    failed: true,
    expired: true,
  }),
  jit_channel: all<JitChannelState>({
    awaiting_payment: true,
    opening: true,
    publishing: true,
    forwarding: true,
    completed: true,
    failed: true,
    expired: true,
  }),
  hosted_node: all<HostedNodeState>({
    creating: true,
    running: true,
    stopped: true,
    suspended: true,
    deleting: true,
    deleted: true,
    failed: true,
  }),
  hosted_node_health: ['up', 'down'],
};

/**
 * Why `pattern` is not a webhook event pattern (`*`, `<kind>.*` or `<kind>.<state>` of a known
 * kind and state), or undefined when it is one.
 */
export function webhookPatternProblem(pattern: string): string | undefined {
  if (pattern === '*') return undefined;
  const [kind = '', state, ...rest] = pattern.split('.');
  const states = WEBHOOK_EVENT_STATES[kind];
  if (!states || state === undefined || rest.length > 0)
    return `must be "*", "<subject kind>.*" or "<subject kind>.<state>", with a subject kind of ${Object.keys(WEBHOOK_EVENT_STATES).join(', ')}`;
  if (state !== '*' && !states.includes(state))
    return `unknown state "${state}" of ${kind}; one of ${states.join(', ')}`;
  return undefined;
}
