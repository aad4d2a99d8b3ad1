import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CustomMessage, ErrorCode, isLspError, parsePubkey } from '@blgv/core';
import { LSPS0_MESSAGE_TYPE } from '@blgv/protocol';
import { LspsCallError, LspsPeerClient, type LspsPeerClientLightning } from './lsps-peer-client.ts';

const PEER = parsePubkey(`02${'11'.repeat(32)}`);
const OTHER = parsePubkey(`03${'22'.repeat(32)}`);

/** A node whose peer answers each request with `answer(request)` (or stays silent on undefined). */
function fakeNode(answer: (request: { id: string; method: string }) => object | undefined) {
  const inbox: CustomMessage[] = [];
  let wake: (() => void) | undefined;
  const deliver = (m: CustomMessage) => {
    inbox.push(m);
    wake?.();
  };
  const node: LspsPeerClientLightning = {
    async sendCustomMessage(m: CustomMessage) {
      const request = JSON.parse(new TextDecoder().decode(m.data)) as { id: string; method: string };
      const reply = answer(request);
      if (!reply) return;
      const data = (body: object) => new TextEncoder().encode(JSON.stringify({ jsonrpc: '2.0', ...body }));
      // A stranger's message with the same id is ignored; the peer's answer is taken.
      queueMicrotask(() => {
        deliver({ peer: OTHER, type: LSPS0_MESSAGE_TYPE, data: data({ id: request.id, result: 'forged' }) });
        deliver({ peer: PEER, type: LSPS0_MESSAGE_TYPE, data: data({ id: request.id, ...reply }) });
      });
    },
    async *customMessages(options: { signal: AbortSignal; onConnected?: () => void }) {
      options.onConnected?.();
      while (!options.signal.aborted) {
        const m = inbox.shift();
        if (m) {
          yield m;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          options.signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    },
  };
  return node;
}

test('answers are matched by id from the peer only; error answers carry their LSPS code', async () => {
  const stop = new AbortController();
  const client = new LspsPeerClient({
    lightning: fakeNode((r) =>
      r.method === 'lsps1.get_info'
        ? { result: { ok: true } }
        : { error: { code: 100, message: 'option mismatch', data: { property: 'lsp_balance_sat' } } },
    ),
    peer: PEER,
  });
  await client.start(stop.signal);
  assert.deepEqual(await client.call('lsps1.get_info', {}, AbortSignal.timeout(5_000)), { ok: true });
  const err = await client
    .call('lsps1.create_order', {}, AbortSignal.timeout(5_000))
    .catch((e: unknown) => e);
  assert.ok(err instanceof LspsCallError);
  assert.equal(err.code, 100);
  assert.deepEqual(err.data, { property: 'lsp_balance_sat' });
  stop.abort();
});

test('a silent peer times out', async () => {
  const stop = new AbortController();
  const client = new LspsPeerClient({ lightning: fakeNode(() => undefined), peer: PEER, timeoutMs: 50 });
  await client.start(stop.signal);
  await assert.rejects(client.call('lsps1.get_info', {}, AbortSignal.timeout(5_000)), (e: unknown) =>
    isLspError(e, ErrorCode.Timeout),
  );
  stop.abort();
});

test('a read whose message is lost is sent again and answered; an order is never sent twice', async () => {
  const stop = new AbortController();
  const sent: string[] = [];
  const client = new LspsPeerClient({
    // The peer never hears the first message of each method.
    lightning: fakeNode((r) => {
      sent.push(r.method);
      return sent.filter((m) => m === r.method).length === 1 ? undefined : { result: { ok: r.method } };
    }),
    peer: PEER,
    timeoutMs: 500,
    resendMs: 50,
  });
  await client.start(stop.signal);
  assert.deepEqual(await client.call('lsps1.get_info', {}, AbortSignal.timeout(5_000)), {
    ok: 'lsps1.get_info',
  });
  await assert.rejects(client.call('lsps1.create_order', {}, AbortSignal.timeout(5_000)), (e: unknown) =>
    isLspError(e, ErrorCode.Timeout),
  );
  assert.deepEqual(
    sent.filter((m) => m === 'lsps1.create_order'),
    ['lsps1.create_order'],
    'not sent again',
  );
  assert.equal(sent.filter((m) => m === 'lsps1.get_info').length, 2, 'sent again once, then answered');
  stop.abort();
});

test('stopping the client rejects the calls waiting for an answer, and later starts', async () => {
  const stop = new AbortController();
  let sent!: () => void;
  const requestSent = new Promise<void>((resolve) => {
    sent = resolve;
  });
  const client = new LspsPeerClient({
    lightning: fakeNode(() => {
      sent();
      return undefined;
    }),
    peer: PEER,
  });
  await client.start(stop.signal);
  const pending = client.call('lsps1.get_info', {}, AbortSignal.timeout(10_000));
  await requestSent;
  stop.abort();
  await assert.rejects(pending, (e: unknown) => isLspError(e, ErrorCode.Aborted));
  await assert.rejects(client.start(stop.signal), (e: unknown) => isLspError(e, ErrorCode.Aborted));
});
