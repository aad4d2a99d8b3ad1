import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { channelRequestMachine } from './channels/channel-request-machine.ts';
import { fundingMachine } from './channels/funding-machine.ts';
import { hostedNodeMachine } from './hosting/hosted-node.ts';
import type { Hex32, Scid } from './ids.ts';
import { purchaseMachine } from './liquidity/purchase-machine.ts';
import { reservationMachine } from './liquidity/reservation.ts';
import { orderMachine } from './lsps1/order-machine.ts';
import { jitChannelMachine } from './lsps2/jit-channel-machine.ts';
import type { Machine, Typed } from './machine.ts';
import { msat, sat } from './money.ts';
import { paymentMachine } from './payments/payment-machine.ts';
import { webhookDeliveryMachine } from './webhooks/delivery.ts';
import { wrappedInvoiceMachine } from './wrapped/wrapped-invoice-machine.ts';

const committed = { type: 'committed', fundingId: 'f', txid: 't', outputIndex: 0 } as const;
const at = new Date(0);

/** Each machine with every kind of event it takes and a context to read. */
const MACHINES: readonly {
  machine: Machine<string, Typed, Typed, object, never>;
  events: readonly (Typed & Record<string, unknown>)[];
  contexts: readonly unknown[];
}[] = [
  {
    machine: channelRequestMachine as never,
    events: [
      { type: 'open_started' },
      committed,
      { type: 'published' },
      { type: 'open_failed', reason: 'x' },
      { type: 'confirmed' },
      { type: 'closed' },
    ],
    contexts: [undefined],
  },
  {
    machine: fundingMachine as never,
    events: [
      { type: 'committed' },
      { type: 'withheld' },
      { type: 'released' },
      { type: 'withdrawn', reason: 'x' },
      { type: 'published' },
      { type: 'cancelled', reason: 'x' },
    ],
    contexts: [undefined],
  },
  {
    machine: wrappedInvoiceMachine as never,
    events: [
      { type: 'payment_held' },
      committed,
      { type: 'channel_chosen', channelScid: 1n as Scid },
      { type: 'open_failed', reason: 'x' },
      { type: 'wallet_paid', preimage: 'p' as Hex32 },
      { type: 'pay_failed', reason: 'x' },
      { type: 'settled' },
      { type: 'expired' },
    ],
    contexts: [undefined],
  },
  {
    machine: orderMachine as never,
    events: [
      { type: 'payment_held' },
      { type: 'onchain_paid' },
      { type: 'underpaid_expired' },
      { type: 'invoice_expired' },
      { type: 'open_started' },
      committed,
      { type: 'published' },
      { type: 'open_failed', reason: 'x' },
      { type: 'settled' },
      { type: 'canceled' },
    ],
    contexts: [undefined, 'bolt11', 'onchain'],
  },
  {
    machine: jitChannelMachine as never,
    events: [
      { type: 'payment_arrived', paymentHash: 'h' as Hex32, paymentSize: msat(1n), fee: msat(1n) },
      committed,
      { type: 'channel_ready', channelScid: 1n as Scid },
      { type: 'open_failed', reason: 'x', refused: false },
      { type: 'open_failed', reason: 'x', refused: true },
      { type: 'forwarded' },
      { type: 'params_expired' },
      { type: 'withheld', fundingId: 'f', txid: 't', outputIndex: 0 },
      { type: 'activation_failed', reason: 'x' },
      { type: 'forward_failed', reason: 'x' },
      { type: 'released' },
    ],
    contexts: [{ clientTrustsLsp: false }, { clientTrustsLsp: true }],
  },
  {
    machine: reservationMachine as never,
    events: [
      { type: 'release' },
      { type: 'expire' },
      { type: 'use', amount: sat(5n) },
      { type: 'restore', amount: sat(5n) },
    ],
    contexts: [
      { amount: sat(10n), used: sat(0n) },
      { amount: sat(10n), used: sat(5n) },
      { amount: sat(10n), used: sat(10n) },
    ],
  },
  {
    machine: purchaseMachine as never,
    events: [
      { type: 'fee_accepted' },
      { type: 'refused', reason: 'x' },
      { type: 'paid', txid: 't', onchainFee: 1n },
      { type: 'not_sent', reason: 'x' },
      { type: 'order_completed', fundingOutpoint: 't:0' },
      { type: 'order_failed', reason: 'x' },
      { type: 'usable', outbound: 1n },
      { type: 'gave_up', reason: 'x' },
    ],
    contexts: [undefined],
  },
  {
    machine: hostedNodeMachine as never,
    events: ['created', 'stop', 'start', 'suspended', 'resumed', 'delete', 'destroyed']
      .map((type) => ({ type }))
      .concat([
        { type: 'create_failed', reason: 'x' } as { type: string },
        { type: 'delete', holdsNothing: true } as { type: string },
      ]),
    contexts: [undefined],
  },
  {
    machine: webhookDeliveryMachine as never,
    events: [
      { type: 'attempted', ok: true, at, attemptsBefore: 0, firstAttemptAt: at },
      { type: 'attempted', ok: false, at, attemptsBefore: 3, firstAttemptAt: at },
      { type: 'redeliver', at },
      { type: 'dropped' },
    ],
    contexts: [
      { policy: { baseDelayMs: 10, maxDelayMs: 100, windowMs: 1_000 } },
      {
        policy: { baseDelayMs: 10, maxDelayMs: Infinity, windowMs: Infinity, maxAttempts: 3, jitter: false },
      },
    ],
  },
  {
    machine: paymentMachine as never,
    events: [{ type: 'succeeded' }, { type: 'failed', reason: 'x' }, { type: 'retried' }],
    contexts: [undefined],
  },
];

test('every machine names its states once, its final states among them, and a unique name', () => {
  const names = MACHINES.map((m) => m.machine.name);
  assert.equal(new Set(names).size, names.length, names.join(', '));
  for (const { machine } of MACHINES) {
    assert.ok(machine.states.length > 1, machine.name);
    assert.equal(new Set(machine.states).size, machine.states.length, `${machine.name}: states once`);
    for (const f of machine.final)
      assert.ok(machine.states.includes(f), `${machine.name}: final ${f} is a state`);
  }
});

test('a machine only ever moves to one of its states, and no event moves a final state elsewhere', () => {
  for (const { machine, events, contexts } of MACHINES) {
    fc.assert(
      fc.property(
        fc.constantFrom(...machine.states),
        fc.constantFrom(...events),
        fc.constantFrom(...contexts),
        (state, event, context) => {
          const step = machine.next(state, event, context as never);
          if (!step.ok) return;
          assert.ok(
            machine.states.includes(step.state),
            `${machine.name}: ${state} -${event.type}-> ${step.state}`,
          );
          if (machine.final.includes(state))
            assert.equal(step.state, state, `${machine.name}: final ${state} left by ${event.type}`);
        },
      ),
    );
  }
});

test('every state but the first is reached by some event from another state', () => {
  for (const { machine, events, contexts } of MACHINES) {
    const reached = new Set<string>();
    for (const s of machine.states)
      for (const e of events)
        for (const c of contexts) {
          const step = machine.next(s, e, c as never);
          if (step.ok && step.state !== s) reached.add(step.state);
        }
    for (const s of machine.states.slice(1)) assert.ok(reached.has(s), `${machine.name}: ${s} is reachable`);
  }
});
