import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SecretBox } from './secret-box.ts';

test('a sealed secret opens under the same key only, and is not stored in the clear', () => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal('sk_topsecret');
  assert.ok(!sealed.includes('topsecret'));
  assert.notEqual(box.seal('sk_topsecret'), sealed, 'a fresh IV each time');
  assert.equal(box.open(sealed), 'sk_topsecret');
  assert.throws(() => SecretBox.ephemeral().open(sealed));
  const tampered = Buffer.from(sealed, 'base64');
  tampered[tampered.length - 1]! ^= 1;
  assert.throws(() => box.open(tampered.toString('base64')));
  assert.throws(() => new SecretBox(Buffer.alloc(16)), /32 bytes/);
});
