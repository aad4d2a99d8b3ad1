/**
 * Story: the dashboard at /dashboard, in headless Chromium (`chromium` on PATH, Debian's, which
 * `npm test`'s pretest installs when missing, or `$BLGV_CHROMIUM`; driven by playwright-core),
 * against a server with real data. A tenant tops up, buys a channel to bob, creates a hosted node
 * with a 500,000 sat inbound channel that alice pays through the LSP (a forward: routing revenue),
 * buys a JIT channel for carol that alice pays (a JIT open and its latency), and pays alice from
 * its balance. The operator, signed in with an admin key, sees the figures the API answers, as
 * text and as the data each chart was drawn with; so does the tenant with its key. A wrong secret
 * shows the API's refusal; the secret is never sent. Screenshots (desktop and phone) go to
 * test-output/dashboard/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { msat, sat } from '@blgv/core';
import {
  formatCount,
  formatMs,
  formatMsat,
  formatPercent,
  formatSat,
  windowDays,
} from '@blgv/dashboard/format';
import { type LSPClient, lsps2OpeningFee } from '@blgv/lsp-client';
import type { HostedNodeResponse, LspFiguresResponse, NodeMetricsResponse } from '@blgv/protocol';
import { chromiumExecutable } from '@blgv/regtest';
import {
  channelActive,
  type HostingLsp,
  JitWallet,
  type Network,
  nodeRest,
  payUntilSucceeded,
  startHostingLsp,
  startNetwork,
  topUp,
  within,
} from '@blgv/testkit';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { assertCleanAudit } from './support/audit.ts';

const OUT = fileURLToPath(new URL('../test-output/dashboard/', import.meta.url));
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let net: Network;
let hosting: HostingLsp;
let browser: Browser | undefined;
const streams = new AbortController();
let tenant: { client: LSPClient; tenantId: string; keyId: string; secret: string };
let operator: { keyId: string; secret: string };
let node: HostedNodeResponse;
let bobChannelId: string;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  net = await startNetwork({ lsp: { requireInterceptor: true } });
  const { h, alice, lsp } = net;
  hosting = await startHostingLsp(net, {}, { monitoring: { intervalMs: 500 } });
  const channel = await h.openChannel(alice, lsp, sat(3_000_000));
  await h.waitCanSend(alice, lsp, channel.scid, msat(200_000_000n));
  tenant = await hosting.lsp.newTenant('shop');
  // A second admin key of the operator's tenant: the one the browser signs in with.
  const operatorTenant = (await hosting.lsp.admin.getBalance()).tenantId;
  const key = await hosting.lsp.admin.admin.createKey(operatorTenant, 'admin', 'dashboard');
  operator = { keyId: key.keyId, secret: key.secret };
  const executablePath = chromiumExecutable();
  assert.ok(
    executablePath,
    'chromium is on PATH or BLGV_CHROMIUM names it (`node scripts/chromium.ts` installs it)',
  );
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
});

after(async () => {
  streams.abort();
  await browser?.close();
  await hosting?.stop();
  await net?.h.stop();
});

/** The figures once `ready` holds for them (the monitor reads every 500 ms). */
function figuresWhen(what: string, ready: (f: LspFiguresResponse) => boolean): Promise<LspFiguresResponse> {
  let last: LspFiguresResponse | undefined;
  return net.h
    .waitFor(
      async () => {
        last = await hosting.lsp.admin.admin.figures('30d');
        return ready(last) ? last : undefined;
      },
      { what, timeoutMs: 60_000, intervalMs: 250 },
    )
    .catch((err: unknown) => {
      throw new Error(`${String(err)}; last figures: ${JSON.stringify(last)}`);
    });
}

test('a tenant buys a channel, a hosted node that is paid through the LSP, a JIT channel, and pays from its balance', async () => {
  const { h, alice, bob, lsp } = net;
  const client = tenant.client;
  await topUp(h, alice, client, 1_000_000);

  const bought = await client.requestChannel({
    channelSize: 400_000,
    clientPubkey: bob.pubkey,
    clientHost: bob.host,
  });
  bobChannelId = bought.channelId;
  await h.mine(1);
  await h.waitFor(async () => (await client.getChannelStatus(bought.channelId)).status === 'open', {
    what: "bob's channel open",
  });

  node = await client.nodes.create({
    alias: 'shop-node',
    color: '#3a9a5b',
    channels: [{ capacity: 500_000 }],
    autopilot: { enabled: false },
  });
  assert.equal(node.status, 'running');
  await h.mine(6);
  await h.waitFor(() => channelActive(node.endpoint, node.macaroon ?? ''), {
    what: "the hosted node's inbound channel active",
    timeoutMs: 90_000,
  });
  const invoice = await nodeRest<{ payment_request: string }>(
    node.endpoint,
    node.macaroon ?? '',
    'POST',
    '/v1/invoices',
    { value: '12345', memo: 'first sale' },
  );
  assert.equal(invoice.status, 200);
  await payUntilSucceeded(h, alice, invoice.body.payment_request, 'alice paying the hosted node');

  // carol has no channel: her first payment opens a JIT channel.
  const carol = await JitWallet.start(
    h,
    await h.newNode('carol', { lsps2Client: true }),
    lsp,
    streams.signal,
  );
  const [params] = (await client.lsps2.getInfo()).opening_fee_params_menu;
  assert.ok(params);
  const jit = await client.lsps2.buy({ opening_fee_params: params, client_node_pubkey: carol.node.pubkey });
  const amount = msat(100_000_000n);
  const jitInvoice = await carol.invoice(jit, amount, msat(lsps2OpeningFee(params, amount) ?? -1n));
  const jitPaid = await alice.lnd.sendPayment(
    { paymentRequest: jitInvoice.paymentRequest, feeLimit: msat(0), timeoutSeconds: 60 },
    within(90_000),
  );
  assert.equal(jitPaid.status, 'succeeded');
  await h.waitFor(
    async () => (await hosting.lsp.admin.admin.jitChannel(jit.jit_channel_scid)).state === 'completed',
    {
      what: 'the JIT channel completed',
    },
  );

  const aliceInvoice = await alice.lnd.addInvoice({ amount: msat(5_000_000n), memo: 'refund' }, within());
  const payment = await client.sendPayment({ invoice: aliceInvoice.paymentRequest });
  assert.equal(payment.status, 'succeeded');

  const f = await figuresWhen(
    'the figures to show the channel sales, the forwards, the JIT channel and the hosted node',
    (f) =>
      BigInt(f.revenue.bySource.channel_sales) > 0n &&
      BigInt(f.revenue.bySource.routing) > 0n &&
      BigInt(f.revenue.bySource.hosting) > 0n &&
      f.jitLatency.count === 1 &&
      f.forwardsPerDay.reduce((n, d) => n + d.count, 0) >= 2 &&
      f.hostedNodes.some((n) => n.nodeId === node.nodeId && n.channelCount === 1 && n.uptime !== null),
  );
  assert.equal(f.channelsSold, 2, "bob's channel and the hosted node's");
  // The lists the tenant's view shows: its own records only.
  assert.equal((await client.listChannels()).channels.length, 2);
  assert.deepEqual(
    (await client.listPayments()).payments.map((p) => [p.paymentHash, p.status]),
    [[payment.paymentHash, 'succeeded']],
  );
  const stranger = (await hosting.lsp.newTenant('stranger')).client;
  assert.deepEqual((await stranger.listChannels()).channels, []);
  assert.deepEqual((await stranger.listPayments()).payments, []);
  // Each list pages with a cursor: a page of one at a time walks every record once, newest first.
  await assertPagesOfOne(
    'channels',
    async () => (await client.listChannels()).channels.map((c) => c.channelId),
    async (cursor) => {
      const p = await client.listChannels({ limit: 1, cursor });
      return { ids: p.channels.map((c) => c.channelId), nextCursor: p.nextCursor };
    },
  );
  await assertPagesOfOne(
    'payments',
    async () => (await client.listPayments()).payments.map((p) => p.paymentHash),
    async (cursor) => {
      const p = await client.listPayments({ limit: 1, cursor });
      return { ids: p.payments.map((x) => x.paymentHash), nextCursor: p.nextCursor };
    },
  );
  await assertPagesOfOne(
    'ledger entries',
    async () => (await client.getLedger()).entries.map((e) => e.id),
    async (cursor) => {
      const p = await client.getLedger({ limit: 1, cursor });
      return { ids: p.entries.map((e) => e.id), nextCursor: p.nextCursor };
    },
  );
  // The story's one node: a single page whose nextCursor is null (store-paging walks many).
  await assertPagesOfOne(
    'hosted nodes',
    async () => (await client.nodes.list()).nodes.map((n) => n.nodeId),
    async (cursor) => {
      const p = await client.nodes.list({ limit: 1, cursor });
      return { ids: p.nodes.map((n) => n.nodeId), nextCursor: p.nextCursor };
    },
  );
  for (const [what, read] of [
    ['channels', () => client.listChannels({ cursor: 'newest' })],
    ['nodes', () => client.nodes.list({ cursor: '12ab' })],
    ['payments', () => client.listPayments({ cursor: '-1' })],
    ['ledger', () => client.getLedger({ cursor: '1234567890123456789' })],
  ] as const) {
    await assert.rejects(
      read(),
      (err: { status?: number; code?: string; message?: string }) =>
        err.status === 400 && err.code === 'invalid_input' && /cursor/.test(err.message ?? ''),
      `a malformed cursor of the ${what} is a 400 naming it`,
    );
  }
  assert.equal(f.jitChannelsOpened, 1);
  await h.waitFor(
    async () => {
      const m = await client.getNodeMetrics(node.nodeId, { window: '30d' });
      return m.channelCount === 1 && m.uptime !== null && m.remoteBalance > 0;
    },
    { what: "the hosted node's metrics" },
  );
  await assertCleanAudit(hosting.lsp);
});

/**
 * Walks a list a page of one at a time, following `nextCursor` until it is null: every record
 * listed before the walk comes exactly once, newest first (the order of the whole list). A
 * record added meanwhile (the billing job charges on its own time) may only be newer.
 */
async function assertPagesOfOne(
  what: string,
  whole: () => Promise<string[]>,
  page: (cursor: string | undefined) => Promise<{ ids: string[]; nextCursor: string | null }>,
): Promise<void> {
  const before = await whole();
  const walked: string[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    assert.ok(p.ids.length <= 1, `a page of the ${what} holds at most its limit`);
    assert.ok(p.ids.length === 1 || p.nextCursor === null, `no empty page of the ${what} before the end`);
    walked.push(...p.ids);
    cursor = p.nextCursor ?? undefined;
  } while (cursor !== undefined && walked.length <= before.length + 10);
  assert.equal(cursor, undefined, `the walk through the ${what} ends with a null nextCursor`);
  const after = await whole();
  assert.equal(new Set(walked).size, walked.length, `no ${what} twice`);
  assert.deepEqual(walked, after.slice(after.length - walked.length), `the ${what} newest first`);
  assert.deepEqual(walked.slice(walked.length - before.length), before, `every one of the ${what} once`);
}

// --- the browser ----------------------------------------------------------------------------

/** A browser page of its own (nothing kept between sign-ins), with every request it sends. */
async function openPage(viewport: { width: number; height: number }) {
  assert.ok(browser, 'chromium started');
  const context: BrowserContext = await browser.newContext({
    viewport,
    ...(viewport.width < 600 ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  const sent: string[] = [];
  page.on('request', (r) =>
    sent.push(`${r.method()} ${r.url()}\n${JSON.stringify(r.headers())}\n${r.postData() ?? ''}`),
  );
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  return { page, sent, problems, close: () => context.close() };
}

async function signIn(page: Page, keyId: string, secret: string): Promise<void> {
  await page.goto(`${hosting.lsp.url}/dashboard`);
  await page.getByTestId('key-id').fill(keyId);
  await page.getByTestId('secret').fill(secret);
  await page.getByTestId('sign-in').click();
}

async function ready(page: Page): Promise<void> {
  await page.locator('main[data-ready="true"]').waitFor({ timeout: 30_000 });
}

async function text(page: Page, testid: string, within?: string): Promise<string> {
  const scope = within ? page.getByTestId(within) : page;
  return ((await scope.getByTestId(testid).first().textContent()) ?? '').trim();
}

/** What a chart was drawn with, read from Chart.js, and whether its canvas has pixels on it. */
interface DrawnChart {
  readonly labels: string[];
  readonly datasets: { label: string; data: (number | null)[] }[];
  readonly painted: number;
}

/** The page's globals this test reads (its own program has no DOM types). */
interface PageGlobals {
  readonly document: { querySelector(s: string): unknown };
  readonly Chart: {
    getChart(
      canvas: unknown,
    ): { data: { labels: string[]; datasets: { label: string; data: (number | null)[] }[] } } | undefined;
  };
}

function chartData(page: Page, testid: string): Promise<DrawnChart> {
  return page.evaluate((id) => {
    const g = globalThis as unknown as PageGlobals;
    const canvas = g.document.querySelector(`[data-testid="${id}-canvas"]`) as {
      width: number;
      height: number;
      getContext(kind: '2d'): {
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      };
    };
    const chart = g.Chart.getChart(canvas);
    if (!chart) throw new Error(`no chart on ${id}`);
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) painted++;
    return {
      labels: [...chart.data.labels].map(String),
      datasets: chart.data.datasets.map((d) => ({ label: String(d.label), data: [...d.data] })),
      painted,
    };
  }, testid);
}

function dataset(chart: DrawnChart, label: string): (number | null)[] {
  const found = chart.datasets.find((d) => d.label === label);
  assert.ok(found, `dataset ${label} in ${JSON.stringify(chart.datasets.map((d) => d.label))}`);
  return found.data;
}

/** `actual` is one of `candidates` (a figure read before and after the page read it). */
function oneOf(actual: unknown, candidates: readonly unknown[], what: string): void {
  assert.ok(
    candidates.some((c) => JSON.stringify(c) === JSON.stringify(actual)),
    `${what}: the page shows ${JSON.stringify(actual)}, the API said ${candidates.map((c) => JSON.stringify(c)).join(' / ')}`,
  );
}

/** The page fits its width: nothing scrolls sideways. */
async function assertNoSidewaysScroll(page: Page): Promise<void> {
  const { scroll, inner } = await page.evaluate(() => {
    const g = globalThis as unknown as {
      document: { documentElement: { scrollWidth: number } };
      innerWidth: number;
    };
    return { scroll: g.document.documentElement.scrollWidth, inner: g.innerWidth };
  });
  assert.ok(scroll <= inner, `page is ${scroll}px wide in a ${inner}px viewport`);
}

test('a wrong secret shows the API refusal on the sign-in form, not a blank page', async () => {
  const { page, sent, problems, close } = await openPage(DESKTOP);
  try {
    await signIn(page, operator.keyId, `${operator.secret}x`);
    const error = page.getByTestId('signin-error');
    await error.waitFor({ timeout: 15_000 });
    assert.match(
      (await error.textContent()) ?? '',
      /Sign-in failed: request signature is missing or invalid \(HTTP 401/,
    );
    assert.equal(await page.getByTestId('sign-in').isVisible(), true, 'the form is still there to try again');
    await page.screenshot({ path: `${OUT}wrong-secret.png` });
    await signIn(page, 'key_nobody', 'sk_nothing');
    await page.getByTestId('signin-error').waitFor({ timeout: 15_000 });
    assert.match((await text(page, 'signin-error')) ?? '', /HTTP 401/);
    assert.deepEqual(problems, []);
    assert.ok(!sent.some((s) => s.includes(`${operator.secret}x`)), 'the secret is never sent');
  } finally {
    await close();
  }
});

test("the operator sees the story's figures: revenue by source, forwards, liquidity, JIT latency, hosted nodes", async () => {
  const { page, sent, problems, close } = await openPage(DESKTOP);
  try {
    const before = await hosting.lsp.admin.admin.figures('30d');
    const lspBefore = await hosting.lsp.admin.admin.lspMetrics({ window: '30d' });
    await signIn(page, operator.keyId, operator.secret);
    await ready(page);
    const f = await hosting.lsp.admin.admin.figures('30d');
    const lspAfter = await hosting.lsp.admin.admin.lspMetrics({ window: '30d' });
    const both = [before, f];
    assert.equal(await text(page, 'role'), 'Operator');

    // Revenue: each source's total as text, and the stacked bars drawn with the same msat.
    for (const source of Object.keys(f.revenue.bySource) as (keyof typeof f.revenue.bySource)[]) {
      oneOf(
        await text(page, `revenue-${source}`),
        both.map((x) => formatMsat(x.revenue.bySource[source])),
        source,
      );
    }
    assert.notEqual(await text(page, 'revenue-channel_sales'), '0 sat');
    assert.notEqual(await text(page, 'revenue-routing'), '0 sat');
    oneOf(
      await text(page, 'revenue-total', 'overview'),
      both.map((x) => formatMsat(x.revenue.totalMsat)),
      'total',
    );
    const revenue = await chartData(page, 'chart-revenue');
    assert.ok(revenue.painted > 1000, 'the revenue chart is drawn');
    assert.deepEqual(revenue.labels, windowDays('30d', new Date()));
    const sumMsat = (data: (number | null)[]) =>
      Math.round(data.reduce<number>((n, v) => n + (v ?? 0), 0) * 1000);
    for (const [source, label] of [
      ['channel_sales', 'Channel sales'],
      ['routing', 'Routing'],
      ['hosting', 'Hosting'],
      ['jit_opening_fees', 'JIT opening fees'],
    ] as const) {
      oneOf(
        sumMsat(dataset(revenue, label)),
        both.map((x) => Number(x.revenue.bySource[source])),
        `${label} bars`,
      );
    }
    const today = f.revenue.perDay.at(-1);
    assert.ok(today);
    const todayAt = revenue.labels.indexOf(today.day);
    assert.equal(dataset(revenue, 'Channel sales')[todayAt], Number(today.channel_sales) / 1000);

    // Forwards per day: the count bars and the volume and fees, as the API says.
    const forwards = await chartData(page, 'chart-forwards');
    assert.ok(forwards.painted > 1000);
    const count = (x: LspFiguresResponse) => x.forwardsPerDay.reduce((n, d) => n + d.count, 0);
    oneOf(
      dataset(forwards, 'Forwards').reduce<number>((n, v) => n + (v ?? 0), 0),
      both.map(count),
      'forward bars',
    );
    const lastDay = f.forwardsPerDay.at(-1);
    assert.ok(lastDay);
    oneOf(
      await text(page, 'forwards-count', `forwards-${lastDay.day}`),
      [formatCount(lastDay.count)],
      'forwards',
    );
    assert.equal(await text(page, 'forwards-fees', `forwards-${lastDay.day}`), formatMsat(lastDay.feesMsat));
    assert.equal(
      await text(page, 'forwards-volume', `forwards-${lastDay.day}`),
      formatMsat(lastDay.volumeMsat),
    );
    const volume = await chartData(page, 'chart-forward-volume');
    const dayAt = volume.labels.indexOf(lastDay.day);
    assert.equal(dataset(volume, 'Volume (sat)')[dayAt], Number(lastDay.volumeMsat) / 1000);
    assert.equal(dataset(volume, 'Fees (sat)')[dayAt], Number(lastDay.feesMsat) / 1000);

    // Liquidity.
    const liquidity = await chartData(page, 'chart-liquidity');
    const l = (x: LspFiguresResponse) => [
      x.liquidity.outbound,
      x.liquidity.inbound,
      x.liquidity.onchain,
      x.liquidity.reserved,
    ];
    oneOf(dataset(liquidity, 'sat'), both.map(l), 'liquidity bars');
    assert.ok(f.liquidity.outbound > 0 && f.liquidity.inbound > 0);
    oneOf(
      await text(page, 'liquidity-outbound'),
      both.map((x) => formatSat(x.liquidity.outbound)),
      'outbound',
    );
    oneOf(
      await text(page, 'liquidity-inbound'),
      both.map((x) => formatSat(x.liquidity.inbound)),
      'inbound',
    );
    oneOf(
      await text(page, 'liquidity-onchain'),
      both.map((x) => formatSat(x.liquidity.onchain)),
      'on-chain',
    );

    // JIT: one channel opened, its first payment's latency.
    assert.equal(await text(page, 'jit-opened-count'), '1');
    assert.equal(await text(page, 'jit-median'), formatMs(f.jitLatency.medianMs));
    const latency = await chartData(page, 'chart-jit-latency');
    assert.deepEqual(dataset(latency, 'ms'), [f.jitLatency.medianMs, f.jitLatency.p95Ms, f.jitLatency.maxMs]);
    assert.ok((f.jitLatency.medianMs ?? 0) > 0);
    assert.equal(await text(page, 'channels-sold'), '2');
    // The LSP's own expenses beside revenue: none in this story (no rebalance, no unpaid channel).
    assert.equal(await text(page, 'cost-rebalancing'), formatMsat(f.costs.rebalancing.feeMsat));
    assert.equal(
      await text(page, 'cost-unpaid-channels'),
      formatSat(f.costs.unpaidChannels.fundingShareSat + f.costs.unpaidChannels.closeFeeSat),
    );
    assert.equal(f.costs.unpaidChannels.count, 0);

    // The hosted node with its channel, capacity and uptime; the LSP node's own figures.
    const row = `hosted-node-${node.nodeId}`;
    const hosted = (x: LspFiguresResponse) => x.hostedNodes.find((n) => n.nodeId === node.nodeId);
    assert.equal(await text(page, 'hosted-alias', row), 'shop-node');
    assert.equal(await text(page, 'hosted-status', row), 'running');
    assert.equal(await text(page, 'hosted-channels', row), '1');
    assert.equal(await text(page, 'hosted-capacity', row), formatSat(500_000));
    oneOf(
      await text(page, 'hosted-uptime', row),
      both.map((x) => formatPercent(hosted(x)?.uptime)),
      'uptime',
    );
    const uptime = await chartData(page, 'chart-hosted-uptime');
    oneOf(
      dataset(uptime, 'uptime, %')[uptime.labels.indexOf('shop-node')],
      both.map((x) => Math.round((hosted(x)?.uptime ?? 0) * 1000) / 10),
      'uptime bar',
    );
    oneOf(
      await text(page, 'lsp-channels'),
      [lspBefore, lspAfter].map((m) => formatCount(m.channelCount)),
      'lsp',
    );
    oneOf(
      await text(page, 'lsp-routing'),
      [lspBefore, lspAfter].map((m) => formatMsat(m.routingRevenue)),
      'lsp',
    );
    // The LSP node's forwards include the JIT forward, whose fee is the opening fee: the figures
    // count it as JIT revenue, not again as routing.
    oneOf(
      await text(page, 'revenue-routing'),
      [lspBefore, lspAfter].flatMap((m) =>
        both.map((x) =>
          formatMsat((BigInt(m.routingRevenue) - BigInt(x.revenue.bySource.jit_opening_fees)).toString()),
        ),
      ),
      'routing, less the JIT fee',
    );
    assert.notEqual(f.revenue.bySource.jit_opening_fees, '0');

    await page.screenshot({ path: `${OUT}operator-desktop.png`, fullPage: true });

    // Day to year: the window changes the days drawn.
    await page.getByTestId('window-1y').click();
    await page.locator('button[data-testid="window-1y"][aria-pressed="true"]').waitFor();
    await ready(page);
    assert.equal(
      (await chartData(page, 'chart-forwards')).labels.length,
      windowDays('1y', new Date()).length,
    );
    await page.getByTestId('window-24h').click();
    await page.locator('button[data-testid="window-24h"][aria-pressed="true"]').waitFor();
    await ready(page);
    assert.deepEqual((await chartData(page, 'chart-revenue')).labels, windowDays('24h', new Date()));
    oneOf(
      await text(page, 'revenue-channel_sales'),
      [formatMsat((await hosting.lsp.admin.admin.figures('24h')).revenue.bySource.channel_sales)],
      'a day of channel sales',
    );

    assert.deepEqual(problems, [], 'no script error');
    assert.ok(sent.length > 3);
    assert.ok(!sent.some((s) => s.includes(operator.secret)), 'the secret is never sent');
  } finally {
    await close();
  }
});

test('the tenant sees its node (status, uptime, channels, capacity, revenue, success rate, forwards), channels, payments and ledger', async () => {
  const { page, sent, problems, close } = await openPage(DESKTOP);
  try {
    const metricsBefore = await tenant.client.getNodeMetrics(node.nodeId, { window: '30d' });
    await signIn(page, tenant.keyId, tenant.secret);
    await ready(page);
    const metrics = await tenant.client.getNodeMetrics(node.nodeId, { window: '30d' });
    const both: NodeMetricsResponse[] = [metricsBefore, metrics];
    assert.equal(await text(page, 'role'), 'Tenant');
    const balance = (await tenant.client.getBalance()).balance;
    assert.equal(await text(page, 'balance'), formatSat(balance));

    const row = `node-${node.nodeId}`;
    assert.equal(await text(page, 'node-alias', row), 'shop-node');
    assert.equal(await text(page, 'node-status', row), 'running');
    assert.equal(await text(page, 'node-channels', row), '1');
    assert.equal(await text(page, 'node-capacity', row), formatSat(500_000));
    assert.equal(metrics.totalCapacity, 500_000);
    oneOf(
      await text(page, 'node-uptime', row),
      both.map((m) => formatPercent(m.uptime)),
      'uptime',
    );
    assert.equal(await text(page, 'node-revenue', row), formatMsat(metrics.routingRevenue));
    assert.equal(await text(page, 'node-success', row), formatPercent(metrics.successRate));
    assert.equal(await text(page, 'node-forwards', row), formatCount(metrics.forwardCount));

    const liquidity = await chartData(page, 'chart-node-liquidity');
    assert.ok(liquidity.painted > 1000);
    assert.deepEqual(liquidity.labels, ['shop-node']);
    oneOf(
      dataset(liquidity, 'Outbound'),
      both.map((m) => [m.localBalance]),
      'outbound bar',
    );
    oneOf(
      dataset(liquidity, 'Inbound'),
      both.map((m) => [m.remoteBalance]),
      'inbound bar',
    );
    assert.equal(metrics.localBalance > 0, true, 'the node holds what alice paid');
    const nodeForwards = await chartData(page, 'chart-node-forwards');
    assert.equal(
      dataset(nodeForwards, 'shop-node').reduce<number>((n, v) => n + (v ?? 0), 0),
      metrics.forwardCount,
    );

    // Balance over time: one step per ledger entry, ending at the balance.
    const ledger = (await tenant.client.getLedger(200)).entries;
    const history = await chartData(page, 'chart-balance');
    const steps = dataset(history, 'Balance (sat)');
    assert.equal(steps.length, ledger.length);
    assert.equal(steps.at(-1), balance);
    assert.equal(steps[0], ledger.at(-1)?.amount, 'the first step is the first top-up');
    assert.equal(await page.getByTestId('ledger').locator('tbody tr').count(), ledger.length);
    assert.equal(
      await text(page, 'ledger-amount', `ledger-${ledger[0]?.id}`),
      formatSat(ledger[0]?.amount ?? 0),
    );

    // The channel bought to bob, and the hosted node's channel (a channel sale too).
    const channels = (await tenant.client.listChannels()).channels;
    assert.equal(channels.length, 2);
    const bob = channels.find((c) => c.channelId === bobChannelId);
    assert.ok(bob);
    assert.equal(await text(page, 'channel-status', `channel-${bob.channelId}`), 'open');
    assert.equal(await text(page, 'channel-capacity', `channel-${bob.channelId}`), formatSat(400_000));
    assert.equal(await text(page, 'channel-fee', `channel-${bob.channelId}`), formatSat(bob.fee));

    // The payment to alice.
    const [payment] = (await tenant.client.listPayments()).payments;
    assert.ok(payment);
    assert.equal(await text(page, 'payment-status', `payment-${payment.paymentHash}`), 'succeeded');
    assert.equal(await text(page, 'payment-amount', `payment-${payment.paymentHash}`), '5,000 sat');

    await page.screenshot({ path: `${OUT}tenant-desktop.png`, fullPage: true });
    assert.deepEqual(problems, []);
    assert.ok(!sent.some((s) => s.includes(tenant.secret)), 'the secret is never sent');
  } finally {
    await close();
  }
});

test('on a phone-sized screen both views are one column with no sideways scrolling', async () => {
  for (const [who, key] of [
    ['operator', operator],
    ['tenant', tenant],
  ] as const) {
    const { page, problems, close } = await openPage(PHONE);
    try {
      await signIn(page, key.keyId, key.secret);
      await ready(page);
      await assertNoSidewaysScroll(page);
      // The panels stack: each as wide as the others.
      const widths = await page
        .locator('.view > .panel')
        .evaluateAll((els) =>
          els.map((e) => Math.round((e as unknown as { offsetWidth: number }).offsetWidth)),
        );
      assert.ok(widths.length > 3);
      assert.equal(new Set(widths).size, 1, `one column: ${widths.join(', ')}`);
      assert.ok(
        (await chartData(page, who === 'operator' ? 'chart-revenue' : 'chart-node-liquidity')).painted > 500,
      );
      await page.screenshot({ path: `${OUT}${who}-phone.png`, fullPage: true });
      await page.screenshot({ path: `${OUT}${who}-phone-top.png` });
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  }
});
