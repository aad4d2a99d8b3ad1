import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatScid, parseHex32, parsePubkey, parseScid, scidFromParts } from './ids.ts';

test('scids round-trip between parts, u64 and the human form', () => {
  const id = scidFromParts(800000, 12, 1);
  assert.equal(formatScid(id), '800000x12x1');
  assert.equal(parseScid('800000x12x1'), id);
  assert.equal(parseScid(id.toString()), id);
  assert.throws(() => parseScid('-1'), /out of range/);
});

test('pubkeys and hashes are checked and lowercased', () => {
  const pk = `02${'AB'.repeat(32)}`;
  assert.equal(parsePubkey(pk), pk.toLowerCase());
  assert.throws(() => parsePubkey(`04${'ab'.repeat(32)}`), /compressed/);
  assert.throws(() => parseHex32('ab'), /32 bytes/);
});
