import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isJsonRpcResponse, parseJsonRpcRequest } from './lsps0.ts';

/** The error code a payload gets (`ok` for a request, `notification` for one with no id). */
const code = (text: string) => {
  const r = parseJsonRpcRequest(text);
  if (r.ok) return 'ok';
  if ('notification' in r) return 'notification';
  return 'error' in r.response ? r.response.error.code : 'result';
};
const idOf = (text: string) => {
  const r = parseJsonRpcRequest(text);
  return !r.ok && 'response' in r ? r.response.id : undefined;
};

test('well-formed requests parse, with whitespace around them; params default to {}', () => {
  const r = parseJsonRpcRequest(' \t\r\n{"jsonrpc":"2.0","method":"lsps0.list_protocols","id":"abc"}\n ');
  assert.ok(r.ok);
  assert.deepEqual(r.request.params, {});
  const n = parseJsonRpcRequest('{"jsonrpc":"2.0","method":"m","id":7,"params":{}}');
  assert.ok(n.ok);
  assert.equal(n.request.id, 7, 'a numeric id is echoed as sent');
});

test('anything but one JSON-RPC request object is a parse error with id null (bLIP-50)', () => {
  for (const text of [
    '{nope',
    '[]',
    ' [ ] ',
    '[{"jsonrpc":"2.0","method":"m","id":"1"}]',
    '42',
    '"x"',
    'null',
    'true',
    '{} {}',
    '{"jsonrpc":"2.0","method":"m","id":"1"} {',
    '{"jsonrpc":"2.0","method":"m","id":"1","x":"a\u0000b"}',
    '{"jsonrpc":"1.0","method":"m","id":"1"}',
    '{"method":"m","id":"1"}',
    '{"jsonrpc":"2.0","method":5,"id":"1"}',
    '{"jsonrpc":"2.0","id":"1"}',
    '{"jsonrpc":"2.0","method":"m","id":{"a":1}}',
    '{"jsonrpc":"2.0","id":"a","result":{}}',
  ]) {
    assert.equal(code(text), -32700, text);
    assert.equal(idOf(text), null, `${text}: id null`);
  }
});

test('params that are not an object get -32602 with data.unrecognized; no id is a notification', () => {
  for (const params of ['[1]', 'null', '"x"', '3']) {
    const text = `{"jsonrpc":"2.0","method":"m","params":${params},"id":"1"}`;
    const r = parseJsonRpcRequest(text);
    assert.ok(!r.ok && 'response' in r && 'error' in r.response);
    assert.equal(r.response.error.code, -32602, params);
    assert.deepEqual(r.response.error.data?.unrecognized, []);
    assert.equal(r.response.id, '1');
  }
  assert.equal(code('{"jsonrpc":"2.0","method":"m","params":{}}'), 'notification');
});

test('responses are told apart from requests', () => {
  assert.equal(isJsonRpcResponse('{"jsonrpc":"2.0","id":"a","result":{}}'), true);
  assert.equal(isJsonRpcResponse('{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}}'), true);
  assert.equal(isJsonRpcResponse('{"jsonrpc":"2.0","id":"a","method":"m","params":{}}'), false);
  assert.equal(isJsonRpcResponse('{nope'), false);
  assert.equal(isJsonRpcResponse('[{"result":1}]'), false);
});
