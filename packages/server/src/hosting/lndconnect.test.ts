import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lndconnectUri } from './lndconnect.ts';

test('lndconnect carries the DER certificate and the macaroon as base64url', () => {
  const der = Buffer.from([0x30, 0x82, 0xff, 0xfe, 0x01]);
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
  const uri = new URL(lndconnectUri('node.example:10009', pem, '0201ff'));
  assert.equal(uri.protocol, 'lndconnect:');
  assert.equal(uri.host, 'node.example:10009');
  assert.deepEqual(Buffer.from(uri.searchParams.get('cert') ?? '', 'base64url'), der);
  assert.equal(Buffer.from(uri.searchParams.get('macaroon') ?? '', 'base64url').toString('hex'), '0201ff');
  for (const v of uri.searchParams.values()) assert.doesNotMatch(v, /[+/=]/, 'base64url, no padding');
});
