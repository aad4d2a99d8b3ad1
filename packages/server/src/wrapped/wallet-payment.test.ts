/**
 * Paying a wrapped invoice's wallet, against small fakes of the two Lightning calls: the channel
 * chosen is the wallet's, active, with room for the payment and its margin; a payment the new
 * channel did not take yet (failed at the LSP's own node) is sent again until it goes or the
 * deadline passes, one that failed further on is not; and each outcome makes its event.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Channel,
  type HtlcAttemptFailure,
  msat,
  type PaymentResult,
  parseHex32,
  parsePubkey,
  sat,
  scid,
} from '@blgv/core';
import pino from 'pino';
import { channelWithRoom, sendToWallet, walletPaymentEvent } from './wallet-payment.ts';

const log = pino({ level: 'silent' });
const wallet = parsePubkey(`02${'11'.repeat(32)}`);
const other = parsePubkey(`03${'22'.repeat(32)}`);
const hash = parseHex32('ab'.repeat(32));
const preimage = parseHex32('cd'.repeat(32));

const channel = (id: bigint, extra: Partial<Channel>): Channel =>
  ({
    scid: scid(id),
    remotePubkey: wallet,
    active: true,
    localBalance: sat(100_000),
    localReserve: sat(1_000),
    pendingHtlcs: 0,
    ...extra,
  }) as Channel;

test("the channel chosen is the wallet's, active, with room for the amount and its margin", async () => {
  const channels = [
    channel(1n, { remotePubkey: other }),
    channel(2n, { active: false }),
    channel(3n, { localBalance: sat(51_999) }), // 51,999 - 1,000 reserve < 50,000 + 1,000
    channel(4n, { pendingHtlcs: 400 }),
    channel(5n, { localBalance: sat(52_000) }),
  ];
  const lightning = { listChannels: async () => channels };
  const signal = AbortSignal.timeout(1_000);
  const w = { walletPubkey: wallet, walletAmount: msat(50_000_000n) };
  assert.equal(await channelWithRoom(lightning, w, signal), scid(5n));
  const none = { listChannels: async () => channels.slice(0, 4) };
  assert.equal(await channelWithRoom(none, w, signal), undefined);
  // An amount in msat needs its sat rounded up: 50,000,001 msat is 50,001 sat.
  assert.equal(
    await channelWithRoom(lightning, { ...w, walletAmount: msat(50_000_001n) }, signal),
    undefined,
  );
});

const failed = (...failures: HtlcAttemptFailure[]): PaymentResult => ({
  status: 'failed',
  paymentHash: hash,
  reason: 'no_route',
  htlcCount: failures.length,
  attemptFailures: failures,
});
const succeeded: PaymentResult = {
  status: 'succeeded',
  paymentHash: hash,
  preimage,
  amount: msat(50_000_000n),
  fee: msat(0n),
  htlcCount: 1,
  attempts: [
    {
      status: 'succeeded',
      hops: [{ pubkey: wallet, scid: scid(7n), fee: msat(0n) }],
      fee: msat(0n),
      amount: msat(50_000_000n),
    },
  ],
};

/** A `payOverChannel` answering `results` in turn (the last one again once they run out). */
function payments(...results: PaymentResult[]) {
  const sent: bigint[] = [];
  return {
    sent,
    payOverChannel: async (req: { scid: bigint }) => {
      sent.push(req.scid);
      return results[Math.min(sent.length, results.length) - 1] as PaymentResult;
    },
  };
}

const wrapped = { id: 'w1', walletInvoice: 'lnbcrt1...' };
const at = (deadlineMs: number) => ({
  waitMs: 1_000,
  deadline: Date.now() + deadlineMs,
  signal: AbortSignal.timeout(10_000),
  log,
});

test('a payment the new channel did not take yet is sent again until it goes', async () => {
  const notYet = failed({ code: 'temporary_channel_failure', sourceIndex: 0 });
  const lightning = payments(notYet, notYet, succeeded);
  const result = await sendToWallet(lightning, wrapped, scid(7n), at(5_000));
  assert.equal(result.status, 'succeeded');
  assert.deepEqual(lightning.sent, [7n, 7n, 7n], 'three sends, each over the channel given');
});

test('a payment that failed beyond the LSP, or after the deadline, is not sent again', async () => {
  const atWallet = failed({ code: 'incorrect_or_unknown_payment_details', sourceIndex: 1 });
  const beyond = payments(atWallet, succeeded);
  assert.equal((await sendToWallet(beyond, wrapped, scid(7n), at(5_000))).status, 'failed');
  assert.equal(beyond.sent.length, 1);
  const notYet = payments(failed({ code: 'temporary_channel_failure', sourceIndex: 0 }));
  assert.equal((await sendToWallet(notYet, wrapped, scid(7n), at(0))).status, 'failed');
  assert.equal(notYet.sent.length, 1, 'the deadline had passed');
});

test("each outcome makes its event: the preimage and the settled HTLC's channel, or the reason", () => {
  assert.deepEqual(walletPaymentEvent(succeeded), {
    type: 'wallet_paid',
    preimage,
    channelScid: scid(7n),
  });
  assert.deepEqual(walletPaymentEvent(failed()), {
    type: 'pay_failed',
    reason: "the wallet's invoice could not be paid: no_route",
  });
});
