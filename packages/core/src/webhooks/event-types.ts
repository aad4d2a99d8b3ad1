/**
 * The event types a tenant's webhook can ask for: `<subject kind>.<state>` for each subject kind
 * of the event log a tenant sees, with every state it can be in. A machine's kinds and states
 * come from the machine itself (its `name` and `states`), so a state added there is an event
 * type here with no other edit; the kinds with no machine (top-ups, ledger entries, node
 * health) list theirs.
 */
import { channelRequestMachine } from '../channels/channel-request-machine.ts';
import { hostedNodeMachine } from '../hosting/hosted-node.ts';
import { reservationMachine } from '../liquidity/reservation.ts';
import { orderMachine } from '../lsps1/order-machine.ts';
import { jitChannelMachine } from '../lsps2/jit-channel-machine.ts';
import { paymentMachine } from '../payments/payment-machine.ts';

/** The states of each subject kind a tenant's webhook can receive. */
export const WEBHOOK_EVENT_STATES: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(
    [channelRequestMachine, paymentMachine, reservationMachine].map((m) => [m.name, m.states]),
  ),
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
    'utilization_fee_refund',
    'hosting_monthly_fee',
    'hosting_transaction_fee',
    'hosting_fee_refund',
  ],
  ...Object.fromEntries([orderMachine, jitChannelMachine, hostedNodeMachine].map((m) => [m.name, m.states])),
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
