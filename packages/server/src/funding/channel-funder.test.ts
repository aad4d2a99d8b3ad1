/**
 * The funder's decisions against a small fake of the backend port (the real LND flow is in
 * `test/backend-channels.test.ts` and the stories): a peer that fails after another signed
 * costs the other nothing (a fresh attempt funds it alone), the cancelled attempt is unwound
 * (negotiations cancelled, the signed channel abandoned, the inputs released), and nothing is
 * signed or published before the commit point.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  type ChannelNegotiation,
  type ChannelPoint,
  type FundPsbtRequest,
  type Hex32,
  type LightningBackend,
  type OutputLease,
  type PsbtOpenRequest,
  parseHex32,
  parsePubkey,
  sat,
} from '@blgv/core';
import { ChannelFundingsRepository, migrate, openDatabase } from '@blgv/store';
import pino from 'pino';
import { ChannelFunder } from './channel-funder.ts';

const ALICE = parsePubkey(`02${'aa'.repeat(32)}`);
const BOB = parsePubkey(`03${'bb'.repeat(32)}`);
const hex32 = () => parseHex32(randomBytes(32).toString('hex'));

/** A backend whose peers accept, and sign unless told to refuse; it records what was asked. */
function fakeBackend(refusesToSign: Set<string>) {
  const calls: string[] = [];
  const leases: OutputLease[] = [];
  const pending: ChannelPoint[] = [];
  let txid: Hex32 = hex32();
  const backend: Partial<LightningBackend> = {
    negotiateChannel(r: PsbtOpenRequest): ChannelNegotiation {
      calls.push(`negotiate ${r.remotePubkey.slice(0, 4)}`);
      const signed = Promise.withResolvers<ChannelPoint>();
      signed.promise.catch(() => {});
      const me = r.remotePubkey;
      return {
        pendingChanId: r.pendingChanId,
        accepted: Promise.resolve({ address: `addr-${me.slice(0, 4)}`, amount: r.localAmount }),
        get signed() {
          // The peer answers once it has the transaction (verify was called).
          queueMicrotask(() => {
            if (refusesToSign.has(me)) signed.reject(new Error('peer disconnected before funding_signed'));
            else {
              const point = { txid, outputIndex: me === ALICE ? 0 : 1 };
              pending.push(point);
              signed.resolve(point);
            }
          });
          return signed.promise;
        },
        close: () => {},
      };
    },
    async fundPsbt(r: FundPsbtRequest) {
      txid = hex32();
      calls.push(`fund ${r.outputs.length}`);
      const input = { txid: hex32(), outputIndex: 0 };
      leases.push({ lockId: r.lockId, outpoint: input, expiresAt: new Date(Date.now() + 60_000) });
      return { psbt: `psbt:${txid}`, txid, fee: sat(330), vsize: 165, lockedInputs: [input] };
    },
    async verifyPsbtFunding() {
      calls.push('verify');
    },
    async cancelPsbtFunding() {
      calls.push('cancel');
    },
    async signPsbt(psbt: string) {
      calls.push('sign');
      // This fake's PSBTs name their txid.
      return { txid: parseHex32(psbt.slice('psbt:'.length)), rawTx: '00' };
    },
    async publishTransaction() {
      calls.push('publish');
    },
    async listLeases() {
      return [...leases];
    },
    async releaseOutput(lockId: Hex32, outpoint) {
      calls.push('release');
      const i = leases.findIndex((l) => l.lockId === lockId && l.outpoint.txid === outpoint.txid);
      if (i >= 0) leases.splice(i, 1);
    },
    async pendingChannels() {
      return pending.map((channelPoint) => ({ channelPoint }) as never);
    },
    async listChannels() {
      return [];
    },
    async abandonChannel(point: ChannelPoint) {
      calls.push(`abandon ${point.outputIndex}`);
      pending.splice(
        pending.findIndex((p) => p.txid === point.txid && p.outputIndex === point.outputIndex),
        1,
      );
    },
  };
  return { backend: backend as LightningBackend, calls, leases, pending };
}

async function funderWith(refusesToSign: Set<string>) {
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  await migrate(database.db);
  const fake = fakeBackend(refusesToSign);
  const funder = new ChannelFunder({
    database,
    lightning: fake.backend,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  return { database, funder, ...fake };
}

const channels = [ALICE, BOB].map((pubkey) => ({
  owner: pubkey === ALICE ? 'alice' : 'bob',
  open: { remotePubkey: pubkey, localAmount: sat(100_000) },
}));

test('a peer that fails to sign costs the others nothing: they are funded alone in a fresh attempt', async () => {
  const { database, funder, calls, leases, pending } = await funderWith(new Set([BOB]));
  try {
    const committedIn: string[][] = [];
    const result = await funder.fund(channels, {
      feeRate: 2n,
      deadlineMs: 5_000,
      commit: async (_trx, c) => {
        committedIn.push(c.channels.map((x) => x.owner));
      },
    });
    assert.deepEqual(committedIn, [['alice']], 'one commit, for alice alone');
    assert.ok(result.committed);
    assert.match(result.failed.get('bob') ?? '', /refused|disconnected/);
    assert.equal(result.failed.has('alice'), false);
    // The first attempt was unwound before anything was signed: alice's signed channel
    // abandoned, the inputs released; nothing signed or published but the committed one.
    assert.ok(calls.includes('abandon 0'), `alice's channel of the cancelled attempt abandoned: ${calls}`);
    assert.deepEqual(
      calls.filter((c) => c === 'sign' || c === 'publish'),
      [],
      'nothing signed before publishing',
    );
    assert.equal(calls.filter((c) => c.startsWith('fund')).length, 2, 'two attempts');
    assert.equal(leases.length, 1, "only the committed attempt's input is still leased");
    assert.equal(pending.length, 1, 'only the committed channel is pending');

    const fundings = await new ChannelFundingsRepository(database.db).inStates(['cancelled', 'publishing']);
    assert.deepEqual(fundings.map((f) => f.state).sort(), ['cancelled', 'publishing']);

    await funder.published(result.committed.fundingId, AbortSignal.timeout(5_000));
    assert.deepEqual(calls.slice(-3, -1), ['sign', 'publish'], 'signed and published after the commit point');
    assert.equal(leases.length, 0, 'the spent inputs are released');
    assert.equal((await funder.get(result.committed.fundingId))?.state, 'published');
  } finally {
    await database.close();
  }
});

test('when the commit cannot be written, nothing is signed and the attempt is cancelled', async () => {
  const { database, funder, calls, leases } = await funderWith(new Set());
  try {
    const result = await funder.fund(channels, {
      feeRate: 2n,
      deadlineMs: 5_000,
      commit: async () => {
        throw new Error('the buyer moved on');
      },
    });
    assert.equal(result.committed, undefined);
    assert.match(result.failed.get('alice') ?? '', /the buyer moved on/);
    assert.deepEqual(
      calls.filter((c) => c === 'sign' || c === 'publish'),
      [],
    );
    assert.equal(leases.length, 0, 'inputs released');
    const [funding] = await new ChannelFundingsRepository(database.db).inStates(['cancelled']);
    assert.equal(funding?.state, 'cancelled');
  } finally {
    await database.close();
  }
});

test('recovery cancels what a crash left negotiating and publishes what it left committed', async () => {
  const { database, funder, calls } = await funderWith(new Set());
  try {
    const repo = new ChannelFundingsRepository(database.db);
    const lockId = hex32();
    await repo.insert({ id: crypto.randomUUID(), feeRate: 2n, lockId, channels: [] });
    const committed = crypto.randomUUID();
    await repo.insert({ id: committed, feeRate: 2n, lockId: hex32(), channels: [] });
    const txid = hex32();
    await repo.recordFunded(committed, {
      txid,
      psbt: `psbt:${txid}`,
      lockedInputs: [],
      fee: sat(330),
      vsize: 165,
    });
    await repo.transition(committed, 'negotiating', 'publishing');
    await funder.recover();
    await funder.published(committed, AbortSignal.timeout(5_000));
    assert.equal((await repo.inStates(['negotiating'])).length, 0);
    assert.equal((await repo.get(committed))?.state, 'published');
    assert.ok(calls.includes('publish'));
  } finally {
    await database.close();
  }
});
