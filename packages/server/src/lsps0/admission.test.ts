import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ErrorCode, LspError, parsePubkey } from '@blgv/core';
import { Lsps0Error } from '@blgv/protocol';
import { openDatabase, sql } from '@blgv/store';
import { Admission } from './admission.ts';
import { RpcError } from './rpc-error.ts';

/** A store of open things per owner, counted like the repositories do. */
function openThings() {
  const open = new Map<string, number>();
  const count = async (_kind: string, owner: string) => ({
    owner: open.get(owner) ?? 0,
    all: [...open.values()].reduce((a, b) => a + b, 0),
  });
  const create = (owner: string) => async () => {
    // The creation takes a while: concurrent requests of one owner must not pass the cap together.
    await new Promise((r) => setImmediate(r));
    open.set(owner, (open.get(owner) ?? 0) + 1);
    return owner;
  };
  return { count, create };
}

const node = (pubkey: string) => ({ kind: 'tenant' as const, tenantId: pubkey });

test('concurrent requests of one owner stop at its cap; the refusal is client_rejected with a message', async () => {
  const { count, create } = openThings();
  const admission = new Admission('unpaid orders', { perOwner: 2, total: 100 }, count);
  const results = await Promise.allSettled(
    Array.from({ length: 5 }, () => admission.admit(node('a'), create('a'))),
  );
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
  const refusal = results.find((r) => r.status === 'rejected')?.reason as RpcError;
  assert.ok(refusal instanceof RpcError);
  assert.equal(refusal.code, Lsps0Error.ClientRejected);
  assert.match(String(refusal.data?.message), /2 unpaid orders/);
});

test('the global cap refuses a newcomer once everyone together holds it', async () => {
  const { count, create } = openThings();
  const admission = new Admission('unpaid orders', { perOwner: 10, total: 3 }, count);
  for (const owner of ['a', 'b', 'c']) await admission.admit(node(owner), create(owner));
  await assert.rejects(admission.admit(node('d'), create('d')), (e: RpcError) =>
    /the LSP holds as many unpaid orders/.test(String(e.data?.message)),
  );
});

test('a tenant, which buys for the nodes it serves, has its own cap; a client node keeps its own', async () => {
  const { count, create } = openThings();
  const admission = new Admission('open JIT channel buys', { perOwner: 2, perTenant: 4, total: 100 }, count);
  const vendor = await Promise.allSettled(
    Array.from({ length: 6 }, () => admission.admit(node('vendor'), create('vendor'))),
  );
  assert.equal(vendor.filter((r) => r.status === 'fulfilled').length, 4);
  const wallet = { kind: 'node' as const, pubkey: parsePubkey(`02${'ab'.repeat(32)}`) };
  const own = await Promise.allSettled(
    Array.from({ length: 3 }, () => admission.admit(wallet, create(wallet.pubkey))),
  );
  assert.equal(own.filter((r) => r.status === 'fulfilled').length, 2);
});

test("two replicas on one Postgres: one tenant's concurrent requests, half on each, stop at its cap", async () => {
  const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `admission_test_${randomBytes(4).toString('hex')}`;
  // Each replica opens the database itself and has its own admission (its own queues); they
  // share what is open, as the orders table is shared.
  const a = await openDatabase({ kind: 'postgres', url, schema });
  const b = await openDatabase({ kind: 'postgres', url, schema });
  try {
    const open = new Map<string, number>();
    const count = async (_kind: string, owner: string) => ({ owner: open.get(owner) ?? 0, all: 0 });
    const create = (owner: string) => async () => {
      // A creation that takes a few round trips (an invoice, a row): long enough for the other
      // replica's count to come in between without the shared turn.
      await new Promise((r) => setTimeout(r, 20));
      open.set(owner, (open.get(owner) ?? 0) + 1);
      return owner;
    };
    const limits = { perOwner: 3, total: 100 };
    const replicas = [a, b].map((db) => new Admission('unpaid orders', limits, count, db.nodeLocks));
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => replicas[i % 2]?.admit(node('vendor'), create('vendor'))),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3, 'the cap, not more');
    assert.equal(open.get('vendor'), 3);
    for (const r of results.filter((r) => r.status === 'rejected'))
      assert.equal((r.reason as RpcError).code, Lsps0Error.ClientRejected);
  } finally {
    await sql.raw(`drop schema if exists ${schema} cascade`).execute(a.db);
    await Promise.all([a.close(), b.close()]);
  }
});

test("no turn in time is refused as client_rejected; the creation's own conflict passes as it is", async () => {
  const { count, create } = openThings();
  const busy = new LspError(ErrorCode.Conflict, 'LSPS order owner tenant:a is busy');
  const noTurn = new Admission('unpaid orders', { perOwner: 2, total: 100 }, count, {
    withLock: async () => {
      throw busy;
    },
  });
  await assert.rejects(
    noTurn.admit(node('a'), create('a')),
    (e: RpcError) =>
      e instanceof RpcError &&
      e.code === Lsps0Error.ClientRejected &&
      /still being served/.test(String(e.data?.message)),
  );
  const admission = new Admission('unpaid orders', { perOwner: 2, total: 100 }, count, {
    withLock: (_key, _signal, op) => op(),
  });
  await assert.rejects(
    admission.admit(node('a'), async () => {
      throw busy;
    }),
    (e) => e === busy,
  );
});
