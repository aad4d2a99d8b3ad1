/**
 * JIT channels whose funding is withheld until the preimage (bLIP-52 `client_trusts_lsp`) after
 * a restart, against a small fake of the backend (the real flow: `test/lsps2-trust.test.ts`).
 * The forwarder judges each forward from LND's own view of the channel: the client holding funds
 * in it settled (the funding is released), an HTLC of the payment still about means it has not
 * ended (nothing happens), and neither means the client never settled (the funding withdrawn).
 * Nothing withheld is ever published before that.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lsps2JitChannelsRepository } from '@blgv/store';
import {
  channelOf,
  FEE,
  fakeFunder,
  fakeLightning,
  PAYMENT,
  part,
  restarted,
  stateOf,
  storedJit,
  withDatabase,
} from './jit-restart.test-support.ts';

test('restarted withheld: the channel is made usable with nothing published, and the replayed part forwarded', async () => {
  await withDatabase(async (database) => {
    const record = await storedJit(database, 'withheld', true);
    const fake = fakeLightning([channelOf(record)], [part(record)]);
    const { funder, calls } = fakeFunder(database);
    await restarted(database, fake.lightning, funder, () => fake.resolutions.length > 0);

    assert.deepEqual(calls.published, [], 'the funding stays withheld');
    assert.equal(fake.aliases.length, 1, 'the JIT scid leads to the channel');
    assert.equal(await stateOf(database, record.id), 'awaiting_preimage');
    const [forwarded] = fake.resolutions;
    assert.ok(forwarded?.action === 'resume_modified');
    assert.equal(forwarded.outgoingAmount, PAYMENT - FEE, 'forwarded with the fee deducted');
  });
});

test('awaiting the preimage, the client holds the payment in the channel: it settled, and the funding is released', async () => {
  await withDatabase(async (database) => {
    const record = await storedJit(database, 'awaiting_preimage', true);
    const channel = channelOf(record, { remoteBalance: (PAYMENT - FEE) / 1000n });
    const fake = fakeLightning([channel], []);
    const { funder, calls } = fakeFunder(database);
    await restarted(
      database,
      fake.lightning,
      funder,
      async () => (await stateOf(database, record.id)) === 'completed',
    );
    assert.deepEqual(calls.released, [record.fundingId], 'released: signed and published');
    assert.deepEqual(calls.withdrawn, []);
  });
});

test('awaiting the preimage, the payment gone and the client never paid: the funding is withdrawn', async () => {
  await withDatabase(async (database) => {
    const record = await storedJit(database, 'awaiting_preimage', true);
    const fake = fakeLightning([channelOf(record)], []);
    const { funder, calls } = fakeFunder(database);
    await restarted(database, fake.lightning, funder, () => calls.withdrawn.length > 0);
    const after = await new Lsps2JitChannelsRepository(database.db).get(record.id);
    assert.equal(after?.state, 'withdrawn', 'never settled');
    assert.match(after?.failure ?? '', /never settled/);
    assert.deepEqual(calls.withdrawn, [record.fundingId]);
    assert.deepEqual(calls.released, []);
    assert.deepEqual(calls.published, []);
  });
});

test('awaiting the preimage with an HTLC of the payment still on a channel: nothing is decided yet', async () => {
  await withDatabase(async (database) => {
    const record = await storedJit(database, 'awaiting_preimage', true);
    const payer = {
      ...channelOf(record),
      channelPoint: { txid: record.fundingTxid, outputIndex: 1 },
      pendingHtlcs: 1,
      htlcs: [
        { incoming: true, amount: PAYMENT / 1000n, expirationHeight: 900, paymentHash: record.paymentHash },
      ],
    } as unknown as ReturnType<typeof channelOf>;
    const fake = fakeLightning([channelOf(record), payer], []);
    const { funder, calls } = fakeFunder(database);
    // The first scan looks at the channels once; the forwarder stops after it has judged.
    await restarted(database, fake.lightning, funder, () => fake.listed.count > 0);
    assert.equal(await stateOf(database, record.id), 'awaiting_preimage');
    assert.deepEqual(calls, { published: [], released: [], withdrawn: [] });
  });
});

test('left releasing or withdrawn by a crash: the release is finished, and a withdrawal of a funding still withheld', async () => {
  await withDatabase(async (database) => {
    const releasing = await storedJit(database, 'releasing', true);
    const withdrawn = await storedJit(database, 'withdrawn', true);
    const fake = fakeLightning([], []);
    const { funder, calls } = fakeFunder(database);
    await restarted(
      database,
      fake.lightning,
      funder,
      async () => calls.withdrawn.length > 0 && (await stateOf(database, releasing.id)) === 'completed',
    );
    assert.deepEqual(calls.released, [releasing.fundingId]);
    assert.deepEqual(calls.withdrawn, [withdrawn.fundingId]);
  });
});
