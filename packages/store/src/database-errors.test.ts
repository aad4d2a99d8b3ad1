import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDatabaseBusy, isDatabaseUnavailable } from './database-errors.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('a database that cannot be reached, or a connection lost, is unavailable', () => {
  for (const err of [
    withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
    withCode('ECONNRESET'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('57P03', 'the database system is in recovery mode'),
    withCode('08006'),
    withCode('53300', 'sorry, too many clients already'),
    new Error('Connection terminated unexpectedly'),
    new Error('Connection terminated due to connection timeout'),
    new Error('timeout exceeded when trying to connect'),
    new Error('Client has encountered a connection error and is not queryable'),
    new Error('recording a step failed', { cause: withCode('ECONNREFUSED') }),
  ])
    assert.equal(isDatabaseUnavailable(err), true, String(err));
});

test('an answer of the database is not', () => {
  for (const err of [
    withCode('23505', 'duplicate key value violates unique constraint'),
    withCode('57014', 'canceling statement due to statement timeout'),
    withCode('42P01', 'relation "x" does not exist'),
    new Error('something else'),
    undefined,
    'Connection terminated',
  ])
    assert.equal(isDatabaseUnavailable(err), false, String(err));
});

test('a database that gave up on the work (a timeout, a collision) is busy; others are not', () => {
  for (const err of [
    withCode('57014', 'canceling statement due to statement timeout'),
    withCode('25P03', 'terminating connection due to idle-in-transaction timeout'),
    withCode('55P03', 'could not obtain lock on row'),
    withCode('40001', 'could not serialize access due to concurrent update'),
    withCode('40P01', 'deadlock detected'),
    new Error('recording a step failed', { cause: withCode('57014') }),
  ])
    assert.equal(isDatabaseBusy(err), true, String(err));
  for (const err of [withCode('23505'), withCode('ECONNREFUSED'), new Error('57014'), undefined])
    assert.equal(isDatabaseBusy(err), false, String(err));
});
