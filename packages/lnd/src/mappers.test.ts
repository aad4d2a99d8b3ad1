import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseChannelPointString, txidFromBytes, uint64MapKey } from './mappers.ts';

test('uint64 map keys decode from decimal strings and protobufjs long hashes', () => {
  assert.equal(uint64MapKey('65537'), 65537n);
  // 65537 = 0x010001, little-endian bytes 01 00 01 00 00 00 00 00.
  assert.equal(uint64MapKey('\x01\x00\x01\x00\x00\x00\x00\x00'), 65537n);
  assert.equal(uint64MapKey('\xff\xff\xff\xff\xff\xff\xff\xff'), 2n ** 64n - 1n);
  assert.throws(() => uint64MapKey('abc'), /unexpected/);
});

test('txids flip from wire byte order to display order', () => {
  const wire = Buffer.alloc(32);
  wire[0] = 0xab;
  assert.equal(txidFromBytes(wire), `${'00'.repeat(31)}ab`);
  assert.deepEqual(parseChannelPointString(`${'11'.repeat(32)}:3`), {
    txid: '11'.repeat(32),
    outputIndex: 3,
  });
});
