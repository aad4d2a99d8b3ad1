import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  appNameBytes,
  LSPS5_TIMESTAMP,
  Lsps5Method,
  lsps5NotificationBody,
  lsps5SignedMessage,
} from './lsps5.ts';

test("the signed string is bLIP-55's template, byte for byte (the spec's example is 138 bytes)", () => {
  const message = lsps5SignedMessage(
    '2023-05-04T10:52:58.395Z',
    '{"jsonrpc":"2.0","method":"lsps5.goodbye","params":{}}',
  );
  assert.equal(
    message,
    'LSPS5: DO NOT SIGN THIS MESSAGE MANUALLY: LSP: At 2023-05-04T10:52:58.395Z I notify {"jsonrpc":"2.0","method":"lsps5.goodbye","params":{}}',
  );
  assert.equal(new TextEncoder().encode(message).length, 138);
});

test('a notification body is a compact JSON-RPC 2.0 notification object with no id', () => {
  assert.equal(
    lsps5NotificationBody(Lsps5Method.PaymentIncoming),
    '{"jsonrpc":"2.0","method":"lsps5.payment_incoming","params":{}}',
  );
  assert.equal(
    lsps5NotificationBody(Lsps5Method.ExpirySoon, { timeout: 850_123 }),
    '{"jsonrpc":"2.0","method":"lsps5.expiry_soon","params":{"timeout":850123}}',
  );
});

test("Date.toISOString() is bLIP-55's timestamp format", () => {
  assert.match(new Date().toISOString(), LSPS5_TIMESTAMP);
  assert.match(new Date(Date.UTC(2023, 4, 4, 10, 52, 58, 0)).toISOString(), LSPS5_TIMESTAMP);
  assert.doesNotMatch('2023-05-04T10:52:58.395+00:00', LSPS5_TIMESTAMP, "LDK's form is not the spec's");
  assert.doesNotMatch('2023-05-04T10:52:58.395123456Z', LSPS5_TIMESTAMP);
});

test('app_name bytes: UTF-8 of the JSON contents, escapes counted as written, quotes not', () => {
  assert.equal(appNameBytes('My Wallet'), 9);
  assert.equal(appNameBytes('é'), 2, 'two UTF-8 bytes');
  assert.equal(appNameBytes('a"b'), 4, 'the quote is escaped: \\" is two bytes');
  assert.equal(appNameBytes('a\\b'), 4);
  assert.equal(appNameBytes('\n'), 2);
  assert.equal(appNameBytes('\u0000'), 6, 'written \\u0000');
  assert.equal(appNameBytes('x'.repeat(64)), 64);
  assert.equal(appNameBytes(`${'x'.repeat(62)}\n`), 64);
  assert.equal(appNameBytes(`${'x'.repeat(63)}\n`), 65);
});
