/**
 * REST webhooks: a platform registers an https endpoint and is told about its channel sale and
 * its payment as they happen, each message signed the Standard Webhooks way (checked with the
 * SDK's helper and with an independent implementation of the scheme). Then the receiver fails
 * (500) for a while and the server is restarted meanwhile: once it answers 200 again every
 * event has arrived, in order per subject, none lost, and the delivery log shows the attempts,
 * read whole or a page at a time.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { after, before, test } from 'node:test';
import { msat, sat } from '@blgv/core';
import {
  type LSPClient,
  verifyWebhook,
  type WebhookDelivery,
  type WebhookMessage,
  type WebhookResponse,
} from '@blgv/lsp-client';
import { type Network, startNetwork, startTestLsp, type TestLsp, topUp, within } from '@blgv/testkit';
import {
  type ReceivedRequest,
  startWebhookReceiver,
  type WebhookReceiver,
} from './support/webhook-receiver.ts';

let net: Network;
let lsp: TestLsp;
let tenant: LSPClient;
let receiver: WebhookReceiver;
let receiverUrl: string;
let endpoint: WebhookResponse;

before(async () => {
  net = await startNetwork();
  await net.h.openChannel(net.alice, net.lsp, sat(3_000_000));
  await net.h.connect(net.bob, net.lsp);
  receiver = await startWebhookReceiver();
  receiverUrl = `${receiver.base}/hooks/lsp`;
  lsp = await startTestLsp(net, {
    file: {
      channels: { batchWindowMs: 100 },
      webhooks: {
        allowPrivateTargets: true,
        caCertPath: receiver.certPath,
        intervalMs: 100,
        retryBaseMs: 300,
        retryMaxMs: 1_500,
      },
    },
  });
  tenant = (await lsp.newTenant('platform')).client;
  endpoint = await tenant.webhooks.create({
    url: receiverUrl,
    events: ['channel_request.*', 'payment.*', 'topup.settled'],
    description: 'orders service',
  });
});

after(async () => {
  await lsp?.stop();
  await receiver?.close();
  await net?.h.stop();
});

/** Checks the Standard Webhooks signature with our own HMAC (not the SDK's code). */
function independentlyValid(r: ReceivedRequest, secret: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key)
    .update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`)
    .digest();
  return (r.headers['webhook-signature'] ?? '').split(' ').some((s) => {
    const given = Buffer.from(s.replace(/^v1,/, ''), 'base64');
    return s.startsWith('v1,') && given.length === mac.length && timingSafeEqual(given, mac);
  });
}

/** The delivered messages (answered 200), each once, in arrival order. */
function delivered(): WebhookMessage[] {
  const seen = new Set<string>();
  const out: WebhookMessage[] = [];
  for (const r of receiver.received) {
    if (r.answered !== 200 || seen.has(r.headers['webhook-id'] ?? '')) continue;
    seen.add(r.headers['webhook-id'] ?? '');
    out.push(JSON.parse(r.body) as WebhookMessage);
  }
  return out;
}

/** The tenant's events of the kinds the endpoint wants, from the event log. */
async function wantedEvents(): Promise<{ cursor: string; type: string; subjectId: string }[]> {
  // Every event of this tenant came after the endpoint was registered (in `before`).
  const { events } = await tenant.listEvents({ limit: 500 });
  return events
    .map((e) => ({ cursor: e.cursor, type: `${e.subjectKind}.${e.state}`, subjectId: e.subjectId }))
    .filter((e) => /^(channel_request|payment)\./.test(e.type) || e.type === 'topup.settled');
}

test('a channel sale and a payment reach the platform, each message signed', async () => {
  const { h, alice, bob } = net;
  const secret = endpoint.secret ?? '';
  assert.match(secret, /^whsec_/, 'the secret is shown at creation');
  assert.equal((await tenant.webhooks.get(endpoint.id)).secret, undefined, 'and never again');

  await topUp(h, alice, tenant, 600_000);
  const channel = await tenant.requestChannel({ clientPubkey: bob.pubkey, channelSize: 300_000 });
  await h.mine(1);
  await h.waitFor(async () => (await tenant.getChannelStatus(channel.channelId)).status === 'open', {
    what: 'the channel open',
  });
  await h.waitCanPay(net.lsp, bob);
  const invoice = await bob.lnd.addInvoice({ amount: msat(25_000_000), memo: 'order 7' }, within());
  const payment = await tenant.sendPayment({ invoice: invoice.paymentRequest });
  assert.equal(payment.status, 'succeeded', payment.failure ?? '');

  const types = await h.waitFor(
    () => {
      const t = delivered().map((m) => m.type);
      return t.includes('channel_request.open') && t.includes('payment.succeeded') ? t : undefined;
    },
    { what: 'the channel and payment events at the receiver' },
  );
  assert.ok(types.includes('topup.settled'), types.join(', '));
  for (const r of receiver.received) {
    const message = verifyWebhook<WebhookMessage>(r.headers, r.body, secret);
    assert.ok(independentlyValid(r, secret), `our own HMAC agrees for ${message.type}`);
  }
  assert.throws(
    () => verifyWebhook(receiver.received[0]?.headers ?? {}, `${receiver.received[0]?.body} `, secret),
    /no signature/,
  );
  const opened = delivered().find((m) => m.type === 'channel_request.open');
  assert.equal(opened?.data.subjectId, channel.channelId);
  const paid = delivered().find((m) => m.type === 'payment.succeeded');
  assert.equal(paid?.data.subjectId, invoice.paymentHash);
});

test('a receiver down for a while and a server restart lose nothing; order per subject holds', async (t) => {
  const { h, bob } = net;
  receiver.answer(500);
  const before = receiver.received.length;
  const invoices = await Promise.all(
    [11_000, 12_000, 13_000].map((amount) => bob.lnd.addInvoice({ amount: msat(amount * 1000) }, within())),
  );
  for (const i of invoices) {
    const p = await tenant.sendPayment({ invoice: i.paymentRequest });
    assert.equal(p.status, 'succeeded', p.failure ?? '');
  }
  await h.waitFor(() => receiver.received.length - before >= 3, { what: 'failed attempts at the receiver' });
  await lsp.restart();
  const more = await bob.lnd.addInvoice({ amount: msat(14_000_000) }, within());
  assert.equal((await tenant.sendPayment({ invoice: more.paymentRequest })).status, 'succeeded');
  const failing = receiver.received.length;
  await h.waitFor(() => receiver.received.length - failing >= 2, {
    what: 'attempts after the restart, still failing',
  });
  receiver.answer(200);

  const expected = await wantedEvents();
  // Every event listed now is delivered, and every event delivered is one the tenant's event
  // log lists (read again: an event written meanwhile, say by the restarted server catching up,
  // is delivered and listed too, but may postdate the first read).
  const { messages, listed } = await h.waitFor(
    async () => {
      const messages = delivered();
      const got = new Set(messages.map((m) => m.data.cursor));
      if (!expected.every((e) => got.has(e.cursor))) return undefined;
      const listed = await wantedEvents();
      const known = new Set(listed.map((e) => e.cursor));
      return messages.every((m) => known.has(m.data.cursor)) && { messages, listed };
    },
    { what: 'every event delivered, and each one delivered listed', timeoutMs: 60_000 },
  );
  const cursors = messages.map((m) => m.data.cursor).sort();
  assert.deepEqual(cursors, [...new Set(cursors)].sort(), 'each event delivered once (by webhook-id)');
  const late = listed.filter((e) => !expected.some((x) => x.cursor === e.cursor));
  if (late.length > 0) t.diagnostic(`listed after the first read: ${JSON.stringify(late)}`);
  for (const subject of new Set(messages.map((m) => m.data.subjectId))) {
    const cursors = messages.filter((m) => m.data.subjectId === subject).map((m) => BigInt(m.data.cursor));
    assert.deepEqual(
      cursors,
      [...cursors].sort((a, b) => (a < b ? -1 : 1)),
      `in order for ${subject}`,
    );
  }

  const whole = await tenant.webhooks.deliveries(endpoint.id);
  assert.equal(whole.nextCursor, null, 'the log fits one page of 100');
  const log = whole.deliveries;
  assert.ok(log.every((d) => d.status === 'delivered'));
  const retried = log.filter((d) => d.attempts.some((a) => a.status === 500));
  assert.ok(retried.length >= 3, 'the log shows the failed attempts');
  assert.ok(retried.every((d) => d.attempts.at(-1)?.status === 200));

  // The log a delivery at a time: each once, newest (latest event) first, to a null cursor.
  const walked: WebhookDelivery[] = [];
  let page = await tenant.webhooks.deliveries(endpoint.id, { limit: 1 });
  for (;;) {
    assert.ok(page.deliveries.length <= 1);
    walked.push(...page.deliveries);
    if (page.nextCursor === null) break;
    assert.equal(page.nextCursor, page.deliveries[0]?.cursor, "a page's cursor is its last delivery's");
    page = await tenant.webhooks.deliveries(endpoint.id, { limit: 1, cursor: page.nextCursor });
  }
  assert.deepEqual(
    walked.map((d) => d.id),
    log.map((d) => d.id),
  );
  const positions = walked.map((d) => BigInt(d.cursor));
  assert.deepEqual(
    positions,
    [...positions].sort((a, b) => (a > b ? -1 : 1)),
    'newest first',
  );

  // Redelivery on request: the same message again, freshly signed.
  const first = log.at(-1);
  assert.ok(first);
  const count = receiver.received.length;
  const again = await tenant.webhooks.redeliver(endpoint.id, first.id);
  assert.equal(again.messageId, first.messageId);
  await h.waitFor(
    () => receiver.received.slice(count).some((r) => r.headers['webhook-id'] === first.messageId),
    {
      what: 'the redelivered message',
    },
  );
});

test("bad endpoints are refused with what was wrong; another tenant's endpoint is not found", async () => {
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => assert.fail('expected a refusal'),
      (err: { status?: number; code?: string; message?: string }) => err,
    );
  const http = await refusal(tenant.webhooks.create({ url: 'http://example.com/hook', events: ['*'] }));
  assert.equal(http.code, 'webhook_url_refused');
  assert.match(http.message ?? '', /https/);
  const unknownKind = await refusal(tenant.webhooks.create({ url: receiverUrl, events: ['invoice.paid'] }));
  assert.equal(unknownKind.status, 400);
  assert.match(unknownKind.message ?? '', /events\[0\]/);
  const stranger = (await lsp.newTenant('stranger')).client;
  const hidden = await refusal(stranger.webhooks.deliveries(endpoint.id));
  assert.equal(hidden.status, 404);
  const badCursor = await refusal(tenant.webhooks.deliveries(endpoint.id, { cursor: 'yesterday' }));
  assert.equal(badCursor.status, 400);
  assert.match(badCursor.message ?? '', /cursor/);
});
