import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDatabaseUnavailable } from './database-errors.ts';

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
