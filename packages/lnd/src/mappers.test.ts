import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HTLCAttempt__Output } from '../generated/types/lnrpc/HTLCAttempt.ts';
import {
  closingChannelsFromLnd,
  htlcAttemptFromLnd,
  parseChannelPointString,
  txidFromBytes,
  uint64MapKey,
} from './mappers.ts';

test('uint64 map keys decode from decimal strings and protobufjs long hashes', () => {
  assert.equal(uint64MapKey('65537'), 65537n);
  // 65537 = 0x010001, little-endian bytes 01 00 01 00 00 00 00 00.
  assert.equal(uint64MapKey('\x01\x00\x01\x00\x00\x00\x00\x00'), 65537n);
  assert.equal(uint64MapKey('\xff\xff\xff\xff\xff\xff\xff\xff'), 2n ** 64n - 1n);
  assert.throws(() => uint64MapKey('abc'), /unexpected/);
});

test('txids flip from wire byte order to display order', () => {
  const wire = Buffer.alloc(32);
  wire[0] = 0xab;
  assert.equal(txidFromBytes(wire), `${'00'.repeat(31)}ab`);
  assert.deepEqual(parseChannelPointString(`${'11'.repeat(32)}:3`), {
    txid: '11'.repeat(32),
    outputIndex: 3,
  });
});

const CAROL = `02${'aa'.repeat(32)}`;
const BOB = `03${'bb'.repeat(32)}`;

/** An HTLC attempt over two hops (only the fields the mapper reads). */
function attempt(failureIndex?: number): HTLCAttempt__Output {
  return {
    status: failureIndex === undefined ? 'SUCCEEDED' : 'FAILED',
    route: {
      total_fees_msat: '2000',
      total_amt_msat: '100002000',
      hops: [
        { pub_key: CAROL, chan_id: '123', fee_msat: '2000' },
        { pub_key: BOB, chan_id: '456', fee_msat: '0' },
      ],
    },
    failure:
      failureIndex === undefined
        ? null
        : { code: 'TEMPORARY_CHANNEL_FAILURE', failure_source_index: failureIndex },
  } as unknown as HTLCAttempt__Output;
}

test("an HTLC attempt: its hops, the route's fee and the amount delivered", () => {
  assert.deepEqual(htlcAttemptFromLnd(attempt()), {
    status: 'succeeded',
    hops: [
      { pubkey: CAROL, scid: 123n, fee: 2000n },
      { pubkey: BOB, scid: 456n, fee: 0n },
    ],
    fee: 2000n,
    amount: 100_000_000n,
  });
});

test('a failed HTLC attempt names the node that failed it and the channel it could not use', () => {
  assert.deepEqual(htlcAttemptFromLnd(attempt(1)).failure, {
    code: 'temporary_channel_failure',
    sourceIndex: 1,
    pubkey: CAROL,
    scid: 456n,
  });
  // From the payer itself (index 0): its own first channel, no reporting hop.
  assert.deepEqual(htlcAttemptFromLnd(attempt(0)).failure, {
    code: 'temporary_channel_failure',
    sourceIndex: 0,
    scid: 123n,
  });
  // From the destination: no channel after it.
  assert.deepEqual(htlcAttemptFromLnd(attempt(2)).failure, {
    code: 'temporary_channel_failure',
    sourceIndex: 2,
    pubkey: BOB,
  });
});

test("a waiting close's HTLCs are unknown unless it is a cooperative close (LND lists them only once it confirms)", () => {
  const waiting = (flags: string) => ({
    channel: {
      channel_point: `${'11'.repeat(32)}:0`,
      remote_node_pub: CAROL,
      capacity: '500000',
      chan_status_flags: flags,
    },
    closing_txid: '22'.repeat(32),
    limbo_balance: '150000',
  });
  const closing = closingChannelsFromLnd({
    waiting_close_channels: [
      waiting('ChanStatusCommitBroadcasted|ChanStatusLocalCloseInitiator'),
      waiting('ChanStatusCoopBroadcasted|ChanStatusLocalCloseInitiator'),
    ],
    pending_force_closing_channels: [],
  } as never);
  assert.deepEqual(
    closing.map((c) => [c.kind, c.htlcsUnknown]),
    [
      ['waiting_close', true],
      ['waiting_close', false],
    ],
  );
});
