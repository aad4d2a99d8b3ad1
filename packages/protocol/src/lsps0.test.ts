import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isJsonRpcResponse, parseJsonRpcRequest } from './lsps0.ts';

const code = (text: string) => {
  const r = parseJsonRpcRequest(text);
  return r.ok ? 'ok' : 'error' in r.response ? r.response.error.code : 'result';
};

test('well-formed requests parse; params default to {}', () => {
  const r = parseJsonRpcRequest('{"jsonrpc":"2.0","method":"lsps0.list_protocols","id":"abc"}');
  assert.ok(r.ok);
  assert.deepEqual(r.request.params, {});
});

test('malformed requests get the spec codes', () => {
  assert.equal(code('{nope'), -32700);
  assert.equal(code('[]'), -32600);
  assert.equal(code('"x"'), -32600);
  assert.equal(code('{"jsonrpc":"1.0","method":"m","id":"1"}'), -32600);
  assert.equal(code('{"jsonrpc":"2.0","method":"m","id":1}'), -32600);
  assert.equal(code('{"jsonrpc":"2.0","method":5,"id":"1"}'), -32600);
  assert.equal(code('{"jsonrpc":"2.0","method":"m","params":[1],"id":"1"}'), -32602);
});

test('responses are told apart from requests, so they are never answered', () => {
  assert.equal(isJsonRpcResponse('{"jsonrpc":"2.0","id":"a","result":{}}'), true);
  assert.equal(isJsonRpcResponse('{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}}'), true);
  assert.equal(isJsonRpcResponse('{"jsonrpc":"2.0","id":"a","method":"m","params":{}}'), false);
  assert.equal(isJsonRpcResponse('{nope'), false);
  assert.equal(isJsonRpcResponse('[{"result":1}]'), false);
});
