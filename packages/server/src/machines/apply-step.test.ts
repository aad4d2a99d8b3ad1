import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Machine, moved, refuse, states } from '@blgv/core';
import { openDatabase, sql } from '@blgv/store';
import pino from 'pino';
import { AfterCommit, applyStep } from './apply-step.ts';

type S = 'off' | 'on' | 'broken';
type E = { readonly type: 'switch' } | { readonly type: 'break' };
type F = { readonly type: 'light' } | { readonly type: 'alarm'; readonly loud: boolean };

/** A lamp: off <-switch-> on; break (from on) sounds an alarm. */
const lamp: Machine<S, E, F> = {
  name: 'lamp',
  states: states<S>({ off: true, on: true, broken: true }),
  final: ['broken'],
  next: (state, event) => {
    if (event.type === 'switch' && state !== 'broken')
      return moved(state === 'off' ? 'on' : 'off', state === 'off' ? [{ type: 'light' }] : []);
    if (event.type === 'break' && state === 'on') return moved('broken', [{ type: 'alarm', loud: true }]);
    return refuse(state, event.type);
  },
};
const log = pino({ level: 'silent' });

test('a step is written, then its effects are performed, each by its handler, in order', async () => {
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  const done: string[] = [];
  const step = await applyStep(lamp, { id: 'l1', state: 'on' }, { type: 'break' }, undefined, {
    db: database.db,
    log,
    persist: async (s) => {
      done.push(`persist ${s.state}`);
      return true;
    },
    effects: {
      light: () => void done.push('light'),
      alarm: (f, { from, to }) => void done.push(`alarm loud=${f.loud} ${from}->${to}`),
    },
  });
  assert.equal(step?.state, 'broken');
  assert.deepEqual(done, ['persist broken', 'alarm loud=true on->broken']);
  await database.close();
});

test('a step that was not written (the subject moved on) performs no effect; a refusal is reported', async () => {
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  const done: string[] = [];
  const effects = { light: () => void done.push('light'), alarm: () => void done.push('alarm') };
  const lost = await applyStep(lamp, { id: 'l1', state: 'off' }, { type: 'switch' }, undefined, {
    db: database.db,
    log,
    persist: async () => false,
    effects,
  });
  assert.equal(lost, undefined);
  const reasons: string[] = [];
  const refused = await applyStep(lamp, { id: 'l1', state: 'off' }, { type: 'break' }, undefined, {
    db: database.db,
    log,
    refused: (r) => void reasons.push(r),
    persist: async () => assert.fail('a refused event writes nothing'),
    effects,
  });
  assert.equal(refused, undefined);
  assert.deepEqual(reasons, ['break does not apply in state off']);
  assert.deepEqual(done, []);
  await database.close();
});

test('atomic: the effects are written in the step transaction, and a failing effect undoes the step', async () => {
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  await sql`create table lamps (id text primary key, state text not null)`.execute(database.db);
  await sql`create table alarms (lamp text not null)`.execute(database.db);
  await sql`insert into lamps values ('l1', 'on'), ('l2', 'on')`.execute(database.db);
  const write = (id: string, failing: boolean) =>
    applyStep(lamp, { id, state: 'on' }, { type: 'break' }, undefined, {
      db: database.db,
      atomic: true,
      log,
      persist: async (s, db) => {
        const r = await sql`update lamps set state = ${s.state} where id = ${id} and state = 'on'`.execute(
          db,
        );
        return r.numAffectedRows === 1n;
      },
      effects: {
        light: () => {},
        alarm: async (_, { db }) => {
          await sql`insert into alarms values (${id})`.execute(db);
          if (failing) throw new Error('the alarm broke');
        },
      },
    });
  assert.equal((await write('l1', false))?.state, 'broken');
  await assert.rejects(write('l2', true), /the alarm broke/);
  const lamps = await sql<{ id: string; state: string }>`select id, state from lamps order by id`.execute(
    database.db,
  );
  assert.deepEqual(
    lamps.rows.map((r) => `${r.id}:${r.state}`),
    ['l1:broken', 'l2:on'],
  );
  const alarms = await sql<{ lamp: string }>`select lamp from alarms`.execute(database.db);
  assert.deepEqual(
    alarms.rows.map((r) => r.lamp),
    ['l1'],
  );
  await database.close();
});

test('effects of a step written inside an open transaction wait for its commit (afterCommit); without one they are refused', async () => {
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  const done: string[] = [];
  const effects = { light: () => void done.push('light'), alarm: () => void done.push('alarm') };
  const after = new AfterCommit(database.db);
  await database.db.transaction().execute(async (trx) => {
    const step = await applyStep(lamp, { id: 'l1', state: 'off' }, { type: 'switch' }, undefined, {
      db: trx,
      log,
      persist: async () => true,
      effects,
      afterCommit: after,
    });
    assert.equal(step?.state, 'on');
    assert.deepEqual(done, [], 'nothing is performed before the commit');
    await assert.rejects(
      applyStep(lamp, { id: 'l2', state: 'off' }, { type: 'switch' }, undefined, {
        db: trx,
        log,
        persist: async () => true,
        effects,
      }),
      /inside an open transaction/,
    );
  });
  await after.perform();
  assert.deepEqual(done, ['light']);
  await after.perform();
  assert.deepEqual(done, ['light'], 'queued effects are performed once');
  await database.close();
});

test('atomic may name the effects written with the step: those run inside its transaction, the others after it', async () => {
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  const done: string[] = [];
  const io = {
    db: database.db,
    log,
    atomic: ['alarm'] as const,
    persist: async () => true,
    effects: {
      light: (_: unknown, { db }: { db: { isTransaction: boolean } }) =>
        void done.push(`light in transaction=${db.isTransaction}`),
      alarm: (_: unknown, { db }: { db: { isTransaction: boolean } }) =>
        void done.push(`alarm in transaction=${db.isTransaction}`),
    },
  };
  await applyStep(lamp, { id: 'l1', state: 'off' }, { type: 'switch' }, undefined, io);
  await applyStep(lamp, { id: 'l1', state: 'on' }, { type: 'break' }, undefined, io);
  assert.deepEqual(done, ['light in transaction=false', 'alarm in transaction=true']);
  await database.close();
});
