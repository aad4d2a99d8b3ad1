/**
 * The operator's view (an admin key): revenue per day by source, forwards per day (count,
 * volume, fees), the LSP node's liquidity, JIT channels and how long their first payment
 * waited, the LSP's own expenses (rebalancing, channels whose client never paid), orders
 * still open, and every hosted node with its uptime. From
 * `/v1/admin/lsp/figures` and `/v1/admin/lsp/metrics` over the chosen window.
 */
import type { MetricsWindow } from '@blgv/core';
import type { LSPClient } from '@blgv/lsp-client';
import type { LspFiguresResponse, NodeMetricsResponse } from '@blgv/protocol';
import {
  countOf,
  formatCount,
  formatMs,
  formatMsat,
  formatPercent,
  formatSat,
  msatToChartSat,
  perDay,
  windowDays,
} from '../format.ts';
import { type ChartPanel, chartPanel, PALETTE } from './charts.ts';
import { dataTable, el, ident, section, stat } from './dom.ts';

/** What the operator's view shows. */
export interface OperatorData {
  readonly figures: LspFiguresResponse;
  readonly lsp: NodeMetricsResponse;
}

/** Reads the figures of `window`. */
export async function loadOperator(client: LSPClient, window: MetricsWindow): Promise<OperatorData> {
  const [figures, lsp] = await Promise.all([
    client.admin.figures(window),
    client.admin.lspMetrics({ window, limit: 1 }),
  ]);
  return { figures, lsp };
}

type Source = keyof LspFiguresResponse['revenue']['bySource'];

/** The revenue sources, in the order they are stacked, with their names. */
export const SOURCES: readonly (readonly [Source, string])[] = [
  ['channel_sales', 'Channel sales'],
  ['push_margin', 'Push margin'],
  ['jit_opening_fees', 'JIT opening fees'],
  ['reservations', 'Reservations'],
  ['utilization', 'Utilization fees'],
  ['routing', 'Routing'],
  ['hosting', 'Hosting'],
  ['wrapped_fees', 'Wrapped invoices'],
];

const sat = { y: { beginAtZero: true, title: { display: true, text: 'sat' } } };

/** The view, and its charts to draw once it is in the page. */
export function operatorView(
  data: OperatorData,
  window: MetricsWindow,
  now: Date,
): { element: HTMLElement; panels: ChartPanel[] } {
  const { figures: f, lsp } = data;
  const days = windowDays(window, now);
  const panels = [
    revenuePanel(f, days),
    forwardCountPanel(f, days),
    forwardVolumePanel(f, days),
    liquidityPanel(f),
    jitPanel(f),
    hostedUptimePanel(f),
  ];
  const element = el(
    'div',
    { class: 'view', 'data-testid': 'operator-view' },
    section(
      'Overview',
      'overview',
      el(
        'div',
        { class: 'stats' },
        stat('Revenue', formatMsat(f.revenue.totalMsat), 'revenue-total'),
        stat(
          'Rebalancing cost',
          formatMsat(f.costs.rebalancing.feeMsat),
          'cost-rebalancing',
          `${formatCount(f.costs.rebalancing.count)} rebalances: the LSP's own expense`,
        ),
        stat(
          'Unpaid channels',
          formatSat(f.costs.unpaidChannels.fundingShareSat + f.costs.unpaidChannels.closeFeeSat),
          'cost-unpaid-channels',
          `${formatCount(f.costs.unpaidChannels.count)} closed, their client never paid: their funding shares and closes`,
        ),
        stat('Channels sold', formatCount(f.channelsSold), 'channels-sold'),
        stat('JIT channels opened', formatCount(f.jitChannelsOpened), 'jit-opened'),
        stat(
          'LSP node channels',
          formatCount(lsp.channelCount),
          'lsp-channels',
          `${lsp.activeChannels} active`,
        ),
        stat('LSP node capacity', formatSat(lsp.totalCapacity), 'lsp-capacity'),
        stat(
          'LSP node forwarding fees',
          formatMsat(lsp.routingRevenue),
          'lsp-routing',
          'as LND logs them, JIT opening fees included',
        ),
        stat('Forwards', formatCount(lsp.forwardCount), 'lsp-forwards'),
        stat(
          'Payment success',
          formatPercent(lsp.successRate),
          'lsp-success',
          `tenants' payments; ${formatCount(lsp.paymentsByPurpose.probe.succeeded + lsp.paymentsByPurpose.probe.failed)} probes and checks not counted`,
        ),
        stat('LSP node uptime', formatPercent(lsp.uptime), 'lsp-uptime'),
      ),
    ),
    ...panels.slice(0, 5).map((p) => p.element),
    section(
      'Open orders',
      'open-orders-panel',
      dataTable(
        'open-orders',
        'Orders, channels and reservations not yet final, by state',
        [
          { label: 'Kind', cell: (o) => o.kind.replaceAll('_', ' ') },
          { label: 'State', cell: (o) => o.state },
          { label: 'Count', cell: (o) => formatCount(o.count), numeric: true, testid: 'open-order-count' },
        ],
        f.openOrders,
        (o) => `open-order-${o.kind}-${o.state}`,
        'No open orders.',
      ),
    ),
    section(
      'Hosted nodes',
      'hosted-nodes-panel',
      dataTable(
        'hosted-nodes',
        "Every tenant's hosted nodes",
        [
          { label: 'Alias', cell: (n) => n.alias, testid: 'hosted-alias' },
          { label: 'Node', cell: (n) => ident(n.nodeId, 8) },
          { label: 'Tenant', cell: (n) => ident(n.tenantId, 8) },
          { label: 'Status', cell: (n) => n.status, testid: 'hosted-status' },
          { label: 'Uptime', cell: (n) => formatPercent(n.uptime), numeric: true, testid: 'hosted-uptime' },
          {
            label: 'Channels',
            cell: (n) => formatCount(n.channelCount),
            numeric: true,
            testid: 'hosted-channels',
          },
          {
            label: 'Capacity',
            cell: (n) => formatSat(n.totalCapacity),
            numeric: true,
            testid: 'hosted-capacity',
          },
        ],
        f.hostedNodes,
        (n) => `hosted-node-${n.nodeId}`,
        'No hosted nodes.',
      ),
    ),
    panels[5]?.element,
  );
  return { element, panels };
}

function revenuePanel(f: LspFiguresResponse, days: readonly string[]): ChartPanel {
  const series = SOURCES.map(([source, name], i) => {
    const { labels, values } = perDay(days, f.revenue.perDay, (d) => msatToChartSat(d[source]), 0);
    return { labels, dataset: { label: name, data: values, backgroundColor: PALETTE[i], stack: 'revenue' } };
  });
  const earning = SOURCES.filter(([s]) => BigInt(f.revenue.bySource[s]) !== 0n);
  return chartPanel({
    title: 'Revenue by source',
    testid: 'chart-revenue',
    summary:
      earning.length === 0
        ? 'No revenue in this window.'
        : `${formatMsat(f.revenue.totalMsat)} in this window: ${earning
            .map(([s, name]) => `${name} ${formatMsat(f.revenue.bySource[s])}`)
            .join(', ')}.`,
    config: {
      type: 'bar',
      data: { labels: series[0]?.labels ?? [...days], datasets: series.map((s) => s.dataset) },
      options: { scales: { x: { stacked: true }, y: { ...sat.y, stacked: true } } },
    },
    figures: el(
      'dl',
      { class: 'figure-list' },
      ...SOURCES.flatMap(([source, name]) => [
        el('dt', {}, name),
        el('dd', { 'data-testid': `revenue-${source}` }, formatMsat(f.revenue.bySource[source])),
      ]),
    ),
  });
}

function forwardsTable(f: LspFiguresResponse): HTMLElement {
  return dataTable(
    'forwards-per-day',
    "The LSP node's forwards per day",
    [
      { label: 'Day', cell: (d) => d.day },
      { label: 'Forwards', cell: (d) => formatCount(d.count), numeric: true, testid: 'forwards-count' },
      { label: 'Volume', cell: (d) => formatMsat(d.volumeMsat), numeric: true, testid: 'forwards-volume' },
      { label: 'Fees', cell: (d) => formatMsat(d.feesMsat), numeric: true, testid: 'forwards-fees' },
    ],
    f.forwardsPerDay,
    (d) => `forwards-${d.day}`,
    'No forwards in this window.',
  );
}

function forwardCountPanel(f: LspFiguresResponse, days: readonly string[]): ChartPanel {
  const { labels, values } = perDay(days, f.forwardsPerDay, (d) => d.count, 0);
  const total = f.forwardsPerDay.reduce((n, d) => n + d.count, 0);
  return chartPanel({
    title: 'Forwards per day',
    testid: 'chart-forwards',
    summary: `${countOf(total, 'forward')} in this window.`,
    config: {
      type: 'bar',
      data: { labels, datasets: [{ label: 'Forwards', data: values, backgroundColor: PALETTE[1] }] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    },
    figures: forwardsTable(f),
  });
}

function forwardVolumePanel(f: LspFiguresResponse, days: readonly string[]): ChartPanel {
  const volume = perDay(days, f.forwardsPerDay, (d) => msatToChartSat(d.volumeMsat), 0);
  const fees = perDay(days, f.forwardsPerDay, (d) => msatToChartSat(d.feesMsat), 0);
  const sum = (key: 'volumeMsat' | 'feesMsat') => f.forwardsPerDay.reduce((n, d) => n + BigInt(d[key]), 0n);
  return chartPanel({
    title: 'Forwarded volume and fees',
    testid: 'chart-forward-volume',
    summary: `${formatMsat(sum('volumeMsat'))} forwarded, earning ${formatMsat(sum('feesMsat'))} in fees.`,
    config: {
      type: 'bar',
      data: {
        labels: volume.labels,
        datasets: [
          { label: 'Volume (sat)', data: volume.values, backgroundColor: PALETTE[2], yAxisID: 'y' },
          {
            type: 'line',
            label: 'Fees (sat)',
            data: fees.values,
            borderColor: PALETTE[0],
            backgroundColor: PALETTE[0],
            yAxisID: 'fees',
          },
        ],
      },
      options: {
        scales: {
          y: { beginAtZero: true, title: { display: true, text: 'volume, sat' } },
          fees: {
            position: 'right',
            beginAtZero: true,
            title: { display: true, text: 'fees, sat' },
            grid: { drawOnChartArea: false },
          },
        },
      },
    },
    figures: el(
      'dl',
      { class: 'figure-list' },
      el('dt', {}, 'Volume'),
      el('dd', { 'data-testid': 'forward-volume-total' }, formatMsat(sum('volumeMsat'))),
      el('dt', {}, 'Fees'),
      el('dd', { 'data-testid': 'forward-fees-total' }, formatMsat(sum('feesMsat'))),
    ),
  });
}

function liquidityPanel(f: LspFiguresResponse): ChartPanel {
  const l = f.liquidity;
  const rows = [
    ['Outbound', l.outbound, 'liquidity-outbound'],
    ['Inbound', l.inbound, 'liquidity-inbound'],
    ['On-chain', l.onchain, 'liquidity-onchain'],
    ['Reserved', l.reserved, 'liquidity-reserved'],
  ] as const;
  return chartPanel({
    title: 'Liquidity',
    testid: 'chart-liquidity',
    summary: l.measuredAt
      ? `Outbound ${formatSat(l.outbound)}, inbound ${formatSat(l.inbound)}, on-chain ${formatSat(l.onchain)}, reserved ${formatSat(l.reserved)}.`
      : 'The LSP node has not been read yet.',
    config: {
      type: 'bar',
      data: {
        labels: rows.map((r) => r[0]),
        datasets: [{ label: 'sat', data: rows.map((r) => r[1]), backgroundColor: PALETTE.slice(0, 4) }],
      },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, title: { display: true, text: 'sat' } } },
      },
    },
    figures: el(
      'dl',
      { class: 'figure-list' },
      ...rows.flatMap(([name, value, testid]) => [
        el('dt', {}, name),
        el('dd', { 'data-testid': testid }, formatSat(value)),
      ]),
      el('dt', {}, 'Measured'),
      el('dd', {}, l.measuredAt ? new Date(l.measuredAt).toLocaleString() : 'not yet'),
    ),
  });
}

function jitPanel(f: LspFiguresResponse): ChartPanel {
  const l = f.jitLatency;
  const jitOpened = `${countOf(f.jitChannelsOpened, 'JIT channel')} opened`;
  const rows = [
    ['Median', l.medianMs, 'jit-median'],
    ['95th percentile', l.p95Ms, 'jit-p95'],
    ['Slowest', l.maxMs, 'jit-max'],
  ] as const;
  return chartPanel({
    title: 'JIT channels: first-payment latency',
    testid: 'chart-jit-latency',
    summary:
      l.count === 0
        ? `${jitOpened}; no first payment forwarded in this window.`
        : `${jitOpened}; ${countOf(l.count, 'first payment')} waited ${formatMs(l.medianMs)} (median), ${formatMs(l.maxMs)} at most.`,
    config: {
      type: 'bar',
      data: {
        labels: rows.map((r) => r[0]),
        datasets: [{ label: 'ms', data: rows.map((r) => r[1]), backgroundColor: PALETTE[3] }],
      },
      options: {
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, title: { display: true, text: 'ms' } } },
      },
    },
    figures: el(
      'dl',
      { class: 'figure-list' },
      el('dt', {}, 'Opened'),
      el('dd', { 'data-testid': 'jit-opened-count' }, formatCount(f.jitChannelsOpened)),
      el('dt', {}, 'First payments timed'),
      el('dd', { 'data-testid': 'jit-latency-count' }, formatCount(l.count)),
      ...rows.flatMap(([name, ms, testid]) => [
        el('dt', {}, name),
        el('dd', { 'data-testid': testid }, formatMs(ms)),
      ]),
    ),
  });
}

function hostedUptimePanel(f: LspFiguresResponse): ChartPanel {
  const nodes = f.hostedNodes;
  const checked = nodes.filter((n) => n.uptime !== null);
  return chartPanel({
    title: 'Hosted node uptime',
    testid: 'chart-hosted-uptime',
    summary:
      nodes.length === 0
        ? 'No hosted nodes.'
        : `${countOf(nodes.length, 'hosted node')}; ${checked
            .map((n) => `${n.alias} up ${formatPercent(n.uptime)}`)
            .join(', ')}.`,
    config: {
      type: 'bar',
      data: {
        labels: nodes.map((n) => n.alias),
        datasets: [
          {
            label: 'uptime, %',
            data: nodes.map((n) => (n.uptime === null ? null : Math.round(n.uptime * 1000) / 10)),
            backgroundColor: PALETTE[2],
          },
        ],
      },
      options: {
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: '%' } } },
      },
    },
    figures: el(
      'p',
      { class: 'figures-note' },
      'Uptime is the share of the checked part of the window the node answered (the table above lists each).',
    ),
  });
}
