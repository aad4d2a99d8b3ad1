import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePubkey } from '@blgv/core';
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { lspsMethod } from './lsps-method.ts';
import { lsps0Methods, protocolsOf } from './lsps-methods.ts';
import { LspsRouter } from './lsps-router.ts';
import type { OrderOwner } from './order-owner.ts';

const log = pino({ level: 'silent' });
const peer: OrderOwner = { kind: 'node', pubkey: parsePubkey('02'.padEnd(66, '1')) };
const echo = {
  'lsps7.echo': lspsMethod(Type.Object({ text: Type.String() }, { additionalProperties: false }), (_, p) => ({
    text: p.text,
  })),
};
const other = { 'lsps3.noop': lspsMethod(Type.Object({}), () => ({})) };

test('list_protocols reports the protocols the registered tables serve, ascending', async () => {
  const served = [echo, other];
  const router = new LspsRouter([lsps0Methods(protocolsOf(served)), ...served], log);
  assert.deepEqual(router.methodNames(), ['lsps0.list_protocols', 'lsps7.echo', 'lsps3.noop']);
  const response = await router.handle(
    peer,
    '{"jsonrpc":"2.0","id":"1","method":"lsps0.list_protocols","params":{}}',
  );
  assert.deepEqual(response, { jsonrpc: '2.0', id: '1', result: { protocols: [3, 7] } });
});

test('a registered method runs with its parsed params; an unknown one, or an Object member, is not found', async () => {
  const router = new LspsRouter([echo], log);
  const ok = await router.handle(
    peer,
    '{"jsonrpc":"2.0","id":"1","method":"lsps7.echo","params":{"text":"hi"}}',
  );
  assert.deepEqual(ok, { jsonrpc: '2.0', id: '1', result: { text: 'hi' } });
  for (const method of ['lsps7.nope', 'toString', '__proto__']) {
    const missing = await router.handle(
      peer,
      JSON.stringify({ jsonrpc: '2.0', id: '2', method, params: {} }),
    );
    assert.equal(missing && 'error' in missing ? missing.error.code : undefined, -32601, method);
  }
});

test('a method registered twice is refused', () => {
  assert.throws(() => new LspsRouter([echo, echo], log), /lsps7\.echo registered twice/);
});

test('a param holding a NUL character (no text column takes one) is -32602 naming it, and the method never runs', async () => {
  let ran = false;
  const store = {
    'lsps7.store': lspsMethod(Type.Object({ text: Type.String() }, { additionalProperties: false }), () => {
      ran = true;
      return {};
    }),
  };
  const router = new LspsRouter([store], log);
  const r = await router.handle(
    peer,
    '{"jsonrpc":"2.0","id":"1","method":"lsps7.store","params":{"text":"a\\u0000b"}}',
  );
  assert.deepEqual(r && 'error' in r ? [r.error.code, r.error.data] : r, [
    -32602,
    { unrecognized: [], property: 'text', message: 'must not contain the NUL character (U+0000)' },
  ]);
  assert.equal(ran, false);
});
