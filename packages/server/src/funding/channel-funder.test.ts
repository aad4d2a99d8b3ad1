/**
 * The funder's decisions against a small fake of the backend port (the real LND flow is in
 * `test/backend-channels.test.ts` and the stories): a peer that fails after another signed
 * costs the other nothing (a fresh attempt funds it alone), the cancelled attempt is unwound
 * (negotiations cancelled, the signed channel abandoned, the inputs released), and nothing is
 * signed or published before the commit point, even when the database goes away meanwhile.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  type ChannelNegotiation,
  type ChannelPoint,
  ErrorCode,
  type FundPsbtRequest,
  type Hex32,
  LspError,
  type OutputLease,
  type PsbtOpenRequest,
  parseHex32,
  parsePubkey,
  sat,
} from '@blgv/core';
import { ChannelFundingsRepository, type KyselyPlugin, openMigratedMemoryDatabase } from '@blgv/store';
import pino from 'pino';
import { ChannelFunder } from './channel-funder.ts';
import type { ChannelFunderLightning } from './funding-request.ts';

const ALICE = parsePubkey(`02${'aa'.repeat(32)}`);
const BOB = parsePubkey(`03${'bb'.repeat(32)}`);
const hex32 = () => parseHex32(randomBytes(32).toString('hex'));

/**
 * A backend whose peers accept, and sign unless told to refuse; it records what was asked. Its
 * first `notReadyFor` negotiations fail as LND's do while it catches up with a block; the next
 * `internalFor` as a client's LND does when its own funding flow fails on an internal error.
 */
function fakeBackend(refusesToSign: Set<string>, notReadyFor = 0, internalFor = 0) {
  let notReady = notReadyFor;
  let internal = internalFor;
  const calls: string[] = [];
  const leases: OutputLease[] = [];
  const pending: ChannelPoint[] = [];
  let txid: Hex32 = hex32();
  const backend: ChannelFunderLightning = {
    negotiateChannel(r: PsbtOpenRequest): ChannelNegotiation {
      calls.push(`negotiate ${r.remotePubkey.slice(0, 4)}`);
      const signed = Promise.withResolvers<ChannelPoint>();
      signed.promise.catch(() => {});
      const me = r.remotePubkey;
      const accepted =
        notReady-- > 0
          ? Promise.reject(
              new LspError(
                ErrorCode.LightningUnavailable,
                'LND is not ready (OpenChannel): channels cannot be created before the wallet is fully synced',
              ),
            )
          : internal-- > 0
            ? Promise.reject(
                new Error('received funding error from peer: funding failed due to internal error'),
              )
            : Promise.resolve({ address: `addr-${me.slice(0, 4)}`, amount: r.localAmount });
      accepted.catch(() => {});
      return {
        pendingChanId: r.pendingChanId,
        accepted,
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
    async listUnspent() {
      return [];
    },
    async listLeases() {
      return [...leases];
    },
    async leaseOutput(lockId: Hex32, outpoint, seconds: number) {
      calls.push(`lease ${lockId.slice(0, 8)} ${seconds}`);
      const expiresAt = new Date(Date.now() + seconds * 1000);
      const i = leases.findIndex((l) => l.outpoint.txid === outpoint.txid);
      if (i >= 0) leases.splice(i, 1, { lockId, outpoint, expiresAt });
      else leases.push({ lockId, outpoint, expiresAt });
      return expiresAt;
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
  return { backend, calls, leases, pending };
}

async function funderWith(refusesToSign: Set<string>, notReadyFor = 0, internalFor = 0) {
  const database = await openMigratedMemoryDatabase();
  const fake = fakeBackend(refusesToSign, notReadyFor, internalFor);
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

/** Funds `channels` with `funder`, recording the owners of each commit. */
async function fundRecordingCommits(funder: ChannelFunder) {
  const committedIn: string[][] = [];
  const result = await funder.fund(channels, {
    feeRate: 2n,
    deadlineMs: 5_000,
    commit: async (_trx, c) => {
      committedIn.push(c.channels.map((x) => x.owner));
    },
  });
  return { committedIn, result };
}

test('a peer that fails to sign costs the others nothing: they are funded alone in a fresh attempt', async () => {
  const { database, funder, calls, leases, pending } = await funderWith(new Set([BOB]));
  try {
    const { committedIn, result } = await fundRecordingCommits(funder);
    assert.deepEqual(committedIn, [['alice']], 'one commit, for alice alone');
    assert.ok(result.committed);
    assert.match(result.failed.get('bob') ?? '', /refused|disconnected/);
    assert.equal(result.failed.has('alice'), false);
    // The first attempt was unwound before anything was signed: alice's signed channel
    // abandoned, the inputs released; nothing signed or published but the committed one,
    // which the funder signs and publishes once its commit is written (the `sign_and_publish`
    // effect), before `fund` resolves.
    assert.ok(calls.includes('abandon 0'), `alice's channel of the cancelled attempt abandoned: ${calls}`);
    assert.deepEqual(
      calls.filter((c) => c === 'sign' || c === 'publish'),
      ['sign', 'publish'],
      'only the committed transaction is signed and published',
    );
    const secondFund = calls.map((c) => c.startsWith('fund')).lastIndexOf(true);
    assert.ok(calls.indexOf('abandon 0') < secondFund, 'the first attempt unwound before the second');
    assert.ok(calls.indexOf('sign') > secondFund, 'signed after the committed attempt was built');
    assert.equal(calls.filter((c) => c.startsWith('fund')).length, 2, 'two attempts');
    assert.equal(pending.length, 1, 'only the committed channel is pending');

    const fundings = await new ChannelFundingsRepository(database.db).inStates(['cancelled', 'published']);
    assert.deepEqual(fundings.map((f) => f.state).sort(), ['cancelled', 'published']);

    await funder.published(result.committed.fundingId, AbortSignal.timeout(5_000));
    assert.equal(calls.filter((c) => c === 'publish').length, 1, 'published once: asking again is a no-op');
    assert.equal(leases.length, 0, 'the spent inputs are released');
    assert.equal((await funder.get(result.committed.fundingId))?.state, 'published');
  } finally {
    await database.close();
  }
});

test("the LSP's node not ready to negotiate (catching up with a block): the attempt is made again, nothing is refused", async () => {
  // Both negotiations of the first attempt and alice's of the second fail as LND's do then.
  const { database, funder, calls } = await funderWith(new Set(), 3);
  try {
    const { committedIn, result } = await fundRecordingCommits(funder);
    assert.deepEqual(committedIn, [['alice', 'bob']], 'both funded together, in the third attempt');
    assert.ok(result.committed);
    assert.equal(result.failed.size, 0, 'no channel failed');
    assert.equal(result.refused.size, 0, 'no client counted as refusing');
    assert.equal(calls.filter((c) => c.startsWith('negotiate')).length, 6, 'three attempts of two');
    assert.equal(calls.filter((c) => c.startsWith('fund')).length, 1, 'funded once, when both accepted');
    const fundings = await new ChannelFundingsRepository(database.db).inStates(['cancelled', 'published']);
    assert.deepEqual(fundings.map((f) => f.state).sort(), ['cancelled', 'cancelled', 'published']);
  } finally {
    await database.close();
  }
});

test('a client node that fails the open on its own internal error is asked again, not counted as refusing', async () => {
  const { database, funder, calls } = await funderWith(new Set(), 0, 3);
  try {
    const once = await funder.fund([channels[0] as (typeof channels)[0]], {
      feeRate: 2n,
      deadlineMs: 5_000,
      commit: async () => {},
    });
    assert.ok(once.committed, 'funded on the fourth try (asked again after 1, 2 and 4 s)');
    assert.equal(once.failed.size, 0, 'no failure left');
    assert.equal(once.refused.size, 0);
    assert.equal(calls.filter((c) => c.startsWith('negotiate')).length, 4);
  } finally {
    await database.close();
  }
  // Failing every time it is asked: a failure, still not a refusal (the payment may come again).
  const again = await funderWith(new Set(), 0, 5);
  try {
    const never = await again.funder.fund([channels[0] as (typeof channels)[0]], {
      feeRate: 2n,
      deadlineMs: 5_000,
      commit: async () => {},
    });
    assert.equal(never.committed, undefined);
    assert.match(never.failed.get('alice') ?? '', /failed to accept the channel: .*internal error/);
    assert.equal(never.refused.size, 0, 'not a refusal');
    assert.equal(again.calls.filter((c) => c.startsWith('fund')).length, 0, 'nothing funded');
    assert.equal(again.calls.filter((c) => c.startsWith('negotiate')).length, 4, 'asked four times in all');
  } finally {
    await again.database.close();
  }
});

/** Funds `channels` with a commit that fails: the attempt is cancelled before its commit point. */
function fundRefusedAtCommit(funder: ChannelFunder) {
  return funder.fund(channels, {
    feeRate: 2n,
    deadlineMs: 5_000,
    commit: async () => {
      throw new Error('the buyer moved on');
    },
  });
}

test('when the commit cannot be written, nothing is signed and the attempt is cancelled', async () => {
  const { database, funder, calls, leases } = await funderWith(new Set());
  try {
    const result = await fundRefusedAtCommit(funder);
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

test('a coin a cancelled attempt could not release is released by the next sweep, and no one else’s', async () => {
  const { database, funder, backend, leases } = await funderWith(new Set());
  const release = backend.releaseOutput;
  let refusals = 2; // the unwind's sweep, then its own release
  backend.releaseOutput = async (...args) => {
    if (refusals-- > 0) throw new Error('LND unavailable');
    return release(...args);
  };
  const other = {
    lockId: 'ee'.repeat(32),
    outpoint: { txid: hex32(), outputIndex: 0 },
    expiresAt: new Date(),
  };
  leases.push(other);
  try {
    const result = await fundRefusedAtCommit(funder);
    assert.equal(result.committed, undefined);
    const [funding] = await new ChannelFundingsRepository(database.db).inStates(['cancelled']);
    assert.ok(funding);
    assert.deepEqual(
      leases.filter((l) => l.lockId === funding.lockId).length,
      1,
      'its release failed: the coin is still leased',
    );
    await funder.sweep();
    assert.deepEqual(
      leases,
      [other],
      "released by the sweep; a lease that is not a given-up funding's stays",
    );
  } finally {
    await database.close();
  }
});

test('recovery cancels what a crash left negotiating and publishes what it left committed', async () => {
  const { database, funder, calls, leases } = await funderWith(new Set());
  try {
    const repo = new ChannelFundingsRepository(database.db);
    const lockId = hex32();
    await repo.insert({ id: crypto.randomUUID(), feeRate: 2n, lockId, channels: [] });
    const committed = crypto.randomUUID();
    const committedLock = hex32();
    await repo.insert({ id: committed, feeRate: 2n, lockId: committedLock, channels: [] });
    const txid = hex32();
    // Its input's lease ran out while the server was down.
    const input = { txid: hex32(), outputIndex: 1 };
    await repo.recordFunded(committed, {
      txid,
      psbt: `psbt:${txid}`,
      lockedInputs: [input],
      fee: sat(330),
      vsize: 165,
    });
    await repo.transition(committed, 'negotiating', 'publishing');
    await funder.recover();
    await funder.published(committed, AbortSignal.timeout(5_000));
    assert.equal((await repo.inStates(['negotiating'])).length, 0);
    assert.equal((await repo.get(committed))?.state, 'published');
    assert.ok(calls.includes('publish'));
    const lease = `lease ${committedLock.slice(0, 8)} 86400`;
    assert.ok(
      calls.indexOf(lease) >= 0 && calls.indexOf(lease) < calls.indexOf('sign'),
      `its input leased again, under its own id, before it was signed: ${calls}`,
    );
    assert.equal(leases.length, 0, 'and released once published');
  } finally {
    await database.close();
  }
});

test('every publication attempt of a committed funding leases its inputs again first', async () => {
  const { database, funder, calls, backend } = await funderWith(new Set());
  try {
    let failures = 2;
    const publish = backend.publishTransaction.bind(backend);
    backend.publishTransaction = async (...args) => {
      if (failures-- > 0) throw new Error('LND is not reachable');
      return publish(...args);
    };
    const result = await funder.fund([channels[0] as (typeof channels)[0]], {
      feeRate: 2n,
      deadlineMs: 5_000,
      commit: async () => {},
    });
    assert.ok(result.committed);
    await funder.published(result.committed.fundingId, AbortSignal.timeout(10_000));
    const attempts = calls.filter((c) => c.startsWith('lease') || c === 'sign');
    assert.deepEqual(
      attempts.map((c) => (c.startsWith('lease') ? 'lease' : c)),
      ['lease', 'sign', 'lease', 'sign', 'lease', 'sign'],
      'three attempts, each renewing the lease before signing',
    );
  } finally {
    await database.close();
  }
});

test('a guard runs before the wallet picks the inputs, and one that fails funds nothing', async () => {
  const database = await openMigratedMemoryDatabase();
  try {
    const fake = fakeBackend(new Set());
    let broken = false;
    const guard = {
      async beforeFunding() {
        fake.calls.push('guard');
        if (broken) throw new Error('the wallet scan failed');
      },
    };
    const funder = new ChannelFunder({
      database,
      lightning: fake.backend,
      log: pino({ level: 'silent' }),
      guard,
    });
    const options = { feeRate: 2n, deadlineMs: 5_000, commit: async () => {} };
    const ok = await funder.fund([channels[0] as (typeof channels)[0]], options);
    assert.ok(ok.committed);
    assert.deepEqual(
      fake.calls.filter((c) => c === 'guard' || c.startsWith('fund')),
      ['guard', 'fund 1'],
    );
    broken = true;
    const refused = await funder.fund([channels[0] as (typeof channels)[0]], options);
    assert.equal(refused.committed, undefined);
    assert.match(refused.failed.get('alice') ?? '', /could not fund the channel: the wallet scan failed/);
    assert.equal(fake.calls.filter((c) => c.startsWith('fund')).length, 1, 'no second FundPsbt');
  } finally {
    await database.close();
  }
});

test('a database that goes away once the transaction is funded: the attempt is cancelled as soon as it answers again', async () => {
  const database = await openMigratedMemoryDatabase();
  try {
    const fake = fakeBackend(new Set());
    // From FundPsbt on, the database refuses connections twice (the write of the funded
    // transaction, the first read after it), then answers.
    let down = false;
    let refused = 0;
    const away: KyselyPlugin = {
      transformQuery: (args) => {
        if (down) {
          if (++refused >= 2) down = false;
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        }
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const fund = fake.backend.fundPsbt.bind(fake.backend);
    fake.backend.fundPsbt = async (...args) => {
      const funded = await fund(...args);
      down = true;
      return funded;
    };
    const funder = new ChannelFunder({
      database: { ...database, db: database.db.withPlugin(away) },
      lightning: fake.backend,
      log: pino({ level: 'silent' }),
    });
    const result = await funder.fund(channels, { feeRate: 2n, deadlineMs: 5_000, commit: async () => {} });
    assert.equal(result.committed, undefined);
    assert.match(result.failed.get('alice') ?? '', /ECONNREFUSED/);
    assert.equal(refused, 2);
    assert.deepEqual(
      fake.calls.filter((c) => c === 'sign' || c === 'publish'),
      [],
      'nothing signed',
    );
    assert.equal(fake.calls.filter((c) => c === 'cancel').length, 2, 'both negotiations cancelled');
    assert.equal(fake.leases.length, 0, 'inputs released');
    const [funding] = await new ChannelFundingsRepository(database.db).inStates(['cancelled']);
    assert.ok(funding, 'recorded cancelled before fund() resolved');
  } finally {
    await database.close();
  }
});

/** The wallet's own confirmed coins all taken: LND's coin selection finds none. */
const SHORT = "wallet couldn't fund PSBT: insufficient funds available to construct transaction";

/**
 * A wallet whose confirmed coins are all taken: only inputs chosen by the funder fund anything.
 * Its unconfirmed outputs are someone else's deposit and the change of each transaction
 * published since.
 */
function shortOfCoins(fake: ReturnType<typeof fakeBackend>) {
  const published: Hex32[] = [];
  const chosen: unknown[] = [];
  const looked = { times: 0 };
  const fund = fake.backend.fundPsbt.bind(fake.backend);
  fake.backend.fundPsbt = async (r, signal) => {
    if (!r.inputs) throw new Error(SHORT);
    chosen.push(r.inputs);
    return fund(r, signal);
  };
  const deposit = { outpoint: { txid: hex32(), outputIndex: 0 }, amount: sat(5_000_000), confirmations: 0 };
  const publish = fake.backend.publishTransaction.bind(fake.backend);
  fake.backend.publishTransaction = async (tx, label, signal) => {
    await publish(tx, label, signal);
    published.push(tx.txid);
  };
  fake.backend.listUnspent = async () => {
    looked.times++;
    return [
      deposit,
      ...published.map((txid) => ({
        outpoint: { txid, outputIndex: 2 },
        amount: sat(900_000),
        confirmations: 0,
      })),
    ];
  };
  return { chosen, looked };
}

test("an open that finds the wallet's coins held by a withheld funding waits, and is funded from that funding's change once it is out", async () => {
  const { database, funder, ...fake } = await funderWith(new Set());
  try {
    const alice = channels[0] as (typeof channels)[0];
    const bob = channels[1] as (typeof channels)[1];
    const withheld = await funder.fund([alice], {
      feeRate: 2n,
      deadlineMs: 5_000,
      withhold: true,
      commit: async () => {},
    });
    assert.ok(withheld.committed, "alice's funding withheld");
    const wallet = shortOfCoins(fake);
    const later = funder.fund([bob], { feeRate: 2n, deadlineMs: 10_000, commit: async () => {} });
    // Bob's open looks at the wallet, finds nothing it may spend, and waits: alice's funding
    // holds the coins.
    const deadline = Date.now() + 5_000;
    while (wallet.looked.times === 0 && Date.now() < deadline) await new Promise(setImmediate);
    assert.equal(wallet.looked.times, 1, "bob's open looked at the wallet");
    assert.deepEqual(
      wallet.chosen,
      [],
      "no coin chosen: someone else's unconfirmed deposit is not ours to spend",
    );
    await funder.release(withheld.committed.fundingId, AbortSignal.timeout(5_000));
    const result = await later;
    assert.ok(result.committed, `bob funded: ${[...result.failed.values()]}`);
    assert.deepEqual(
      wallet.chosen,
      [[{ txid: withheld.committed.txid, outputIndex: 2 }]],
      "funded from the change of alice's funding, and nothing else",
    );
    assert.deepEqual(funder.coinStats(), { waits: 1, fromChange: 1, short: 0 }, 'counted for /metrics');
  } finally {
    await database.close();
  }
});

test('with no other funding holding coins, an open the wallet cannot cover fails at once', async () => {
  const { database, funder, ...fake } = await funderWith(new Set());
  try {
    const wallet = shortOfCoins(fake);
    const result = await funder.fund([channels[0] as (typeof channels)[0]], {
      feeRate: 2n,
      deadlineMs: 600_000, // waiting for it would time the test out
      commit: async () => {},
    });
    assert.equal(result.committed, undefined);
    assert.match(result.failed.get('alice') ?? '', /insufficient funds/);
    assert.equal(wallet.looked.times, 1, 'looked once, did not wait');
    assert.deepEqual(funder.coinStats(), { waits: 0, fromChange: 0, short: 1 }, 'counted for /metrics');
    assert.deepEqual(wallet.chosen, [], "someone else's unconfirmed deposit never chosen");
  } finally {
    await database.close();
  }
});

test("a withheld funding's inputs are leased again every quarter of the lease, however long it stays withheld", async () => {
  const { database, funder, calls } = await funderWith(new Set());
  try {
    const result = await funder.fund([channels[0] as (typeof channels)[0]], {
      feeRate: 2n,
      deadlineMs: 5_000,
      withhold: true,
      commit: async () => {},
    });
    assert.ok(result.committed);
    assert.equal((await funder.get(result.committed.fundingId))?.state, 'withheld');
    const leases = () => calls.filter((c) => c.startsWith('lease')).length;
    const before = leases();
    const now = Date.now();
    assert.equal(await funder.renewWithheld(now), 1, 'at once after a start');
    assert.ok(leases() > before, 'its inputs leased again');
    const after = leases();
    assert.equal(await funder.renewWithheld(now + 3_600_000), 0, 'not again within six hours');
    assert.equal(leases(), after);
    assert.equal(await funder.renewWithheld(now + 6 * 3_600_000 + 1), 1, 'again after six hours');
    assert.ok(leases() > after);
  } finally {
    await database.close();
  }
});
