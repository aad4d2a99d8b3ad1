/**
 * A tenant's view (a tenant key): its hosted nodes with their metrics (`/v1/nodes/:id/metrics`:
 * status, uptime, channels, capacity, routing revenue, success rate, forwards), its balance over
 * time, the channels it bought, the payments it sent and its ledger.
 */
import type { MetricsWindow } from '@blgv/core';
import { type LSPClient, LspApiError } from '@blgv/lsp-client';
import type {
  BalanceResponse,
  ChannelsResponse,
  HostedNodeResponse,
  LedgerResponse,
  NodeMetricsResponse,
  PaymentsResponse,
} from '@blgv/protocol';
import { countOf, formatCount, formatMsat, formatPercent, formatSat, perDay, windowDays } from '../format.ts';
import { type ChartPanel, chartPanel, PALETTE } from './charts.ts';
import { dataTable, el, ident, section, stat, when } from './dom.ts';

/** A hosted node with its metrics. */
export interface NodeWithMetrics {
  readonly node: HostedNodeResponse;
  readonly metrics: NodeMetricsResponse;
}

/** What a tenant's view shows. */
export interface TenantData {
  readonly account: BalanceResponse;
  readonly nodes: readonly NodeWithMetrics[];
  readonly channels: ChannelsResponse['channels'];
  readonly payments: PaymentsResponse['payments'];
  readonly ledger: LedgerResponse['entries'];
}

const LEDGER_ROWS = 200;

/** Reads the tenant's figures over `window`. */
export async function loadTenant(client: LSPClient, window: MetricsWindow): Promise<TenantData> {
  const [account, nodes, channels, payments, ledger] = await Promise.all([
    client.getBalance(),
    // A server without hosting has no node routes: no nodes.
    client.nodes.list().catch((err: unknown) => {
      if (err instanceof LspApiError && err.status === 404) return { nodes: [] };
      throw err;
    }),
    client.listChannels(50),
    client.listPayments(50),
    client.getLedger(LEDGER_ROWS),
  ]);
  const metrics = await Promise.all(
    nodes.nodes.map((n) => client.getNodeMetrics(n.nodeId, { window, limit: 1 })),
  );
  return {
    account,
    nodes: nodes.nodes.map((node, i) => ({ node, metrics: metrics[i] as NodeMetricsResponse })),
    channels: channels.channels,
    payments: payments.payments,
    ledger: ledger.entries,
  };
}

/** The view, and its charts to draw once it is in the page. */
export function tenantView(
  data: TenantData,
  window: MetricsWindow,
  now: Date,
): { element: HTMLElement; panels: ChartPanel[] } {
  const balancesPanel = nodeBalancesPanel(data.nodes);
  const forwardsPanel = nodeForwardsPanel(data.nodes, windowDays(window, now));
  const balancePanel = balanceHistoryPanel(data);
  const revenue = data.nodes.reduce((n, x) => n + BigInt(x.metrics.routingRevenue), 0n);
  const element = el(
    'div',
    { class: 'view', 'data-testid': 'tenant-view' },
    section(
      'Overview',
      'overview',
      el(
        'div',
        { class: 'stats' },
        stat('Balance', formatSat(data.account.balance), 'balance'),
        stat('Hosted nodes', formatCount(data.nodes.length), 'node-count'),
        stat('Routing revenue', formatMsat(revenue), 'nodes-revenue', 'all nodes, this window'),
        stat('Channels bought', formatCount(data.channels.length), 'channel-count'),
      ),
    ),
    section(
      'Hosted nodes',
      'nodes-panel',
      dataTable(
        'nodes',
        'Your hosted nodes and their metrics over the window',
        [
          { label: 'Alias', cell: (x) => x.node.alias, testid: 'node-alias' },
          { label: 'Status', cell: (x) => x.node.status, testid: 'node-status' },
          {
            label: 'Uptime',
            cell: (x) => formatPercent(x.metrics.uptime),
            numeric: true,
            testid: 'node-uptime',
          },
          {
            label: 'Channels',
            cell: (x) => formatCount(x.metrics.channelCount),
            numeric: true,
            testid: 'node-channels',
          },
          {
            label: 'Capacity',
            cell: (x) => formatSat(x.metrics.totalCapacity),
            numeric: true,
            testid: 'node-capacity',
          },
          {
            label: 'Routing revenue',
            cell: (x) => formatMsat(x.metrics.routingRevenue),
            numeric: true,
            testid: 'node-revenue',
          },
          {
            label: 'Success rate',
            cell: (x) => formatPercent(x.metrics.successRate),
            numeric: true,
            testid: 'node-success',
          },
          {
            label: 'Forwards',
            cell: (x) => formatCount(x.metrics.forwardCount),
            numeric: true,
            testid: 'node-forwards',
          },
        ],
        data.nodes,
        (x) => `node-${x.node.nodeId}`,
        'No hosted nodes.',
      ),
    ),
    balancesPanel.element,
    forwardsPanel.element,
    balancePanel.element,
    section(
      'Channels',
      'channels-panel',
      dataTable(
        'channels',
        'Channels you bought, newest first',
        [
          { label: 'Bought', cell: (c) => when(c.createdAt) },
          { label: 'Status', cell: (c) => c.status, testid: 'channel-status' },
          { label: 'To', cell: (c) => ident(c.clientPubkey) },
          {
            label: 'Capacity',
            cell: (c) => formatSat(c.capacity),
            numeric: true,
            testid: 'channel-capacity',
          },
          { label: 'Push', cell: (c) => formatSat(c.pushAmount), numeric: true },
          { label: 'Opening fee', cell: (c) => formatSat(c.fee), numeric: true, testid: 'channel-fee' },
          { label: 'Charged', cell: (c) => formatSat(c.charged), numeric: true, testid: 'channel-charged' },
        ],
        data.channels,
        (c) => `channel-${c.channelId}`,
        'No channels bought.',
      ),
    ),
    section(
      'Payments',
      'payments-panel',
      dataTable(
        'payments',
        'Payments you sent, newest first',
        [
          { label: 'Sent', cell: (p) => when(p.createdAt) },
          { label: 'Status', cell: (p) => p.status, testid: 'payment-status' },
          { label: 'Amount', cell: (p) => formatMsat(p.amountMsat), numeric: true, testid: 'payment-amount' },
          {
            label: 'Charged',
            cell: (p) => formatSat(p.charged.total),
            numeric: true,
            testid: 'payment-charged',
          },
          {
            label: 'Network fee',
            cell: (p) => (p.feePaidMsat === null ? '—' : formatMsat(p.feePaidMsat)),
            numeric: true,
          },
          { label: 'To', cell: (p) => ident(p.destination) },
        ],
        data.payments,
        (p) => `payment-${p.paymentHash}`,
        'No payments sent.',
      ),
    ),
    section(
      'Ledger',
      'ledger-panel',
      dataTable(
        'ledger',
        'Account ledger, newest first',
        [
          { label: 'When', cell: (e) => when(e.createdAt) },
          { label: 'Kind', cell: (e) => e.kind.replaceAll('_', ' '), testid: 'ledger-kind' },
          { label: 'Amount', cell: (e) => formatSat(e.amount), numeric: true, testid: 'ledger-amount' },
          { label: 'Description', cell: (e) => e.description },
        ],
        data.ledger,
        (e) => `ledger-${e.id}`,
        'No entries.',
      ),
    ),
  );
  return { element, panels: [balancesPanel, forwardsPanel, balancePanel] };
}

function nodeBalancesPanel(nodes: readonly NodeWithMetrics[]): ChartPanel {
  return chartPanel({
    title: 'Node liquidity',
    testid: 'chart-node-liquidity',
    summary:
      nodes.length === 0
        ? 'No hosted nodes.'
        : nodes
            .map(
              (x) =>
                `${x.node.alias}: ${countOf(x.metrics.channelCount, 'channel')}, ${formatSat(x.metrics.totalCapacity)} capacity, ${formatSat(x.metrics.localBalance)} outbound, ${formatSat(x.metrics.remoteBalance)} inbound`,
            )
            .join('; '),
    config: {
      type: 'bar',
      data: {
        labels: nodes.map((x) => x.node.alias),
        datasets: [
          { label: 'Outbound', data: nodes.map((x) => x.metrics.localBalance), backgroundColor: PALETTE[0] },
          { label: 'Inbound', data: nodes.map((x) => x.metrics.remoteBalance), backgroundColor: PALETTE[1] },
          {
            label: 'On-chain',
            data: nodes.map((x) => x.metrics.onchainBalance),
            backgroundColor: PALETTE[2],
          },
        ],
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'sat' } } } },
    },
    figures: dataTable(
      'node-liquidity',
      "Each node's balances",
      [
        { label: 'Node', cell: (x) => x.node.alias },
        {
          label: 'Outbound',
          cell: (x) => formatSat(x.metrics.localBalance),
          numeric: true,
          testid: 'node-outbound',
        },
        {
          label: 'Inbound',
          cell: (x) => formatSat(x.metrics.remoteBalance),
          numeric: true,
          testid: 'node-inbound',
        },
        {
          label: 'On-chain',
          cell: (x) => formatSat(x.metrics.onchainBalance),
          numeric: true,
          testid: 'node-onchain',
        },
      ],
      nodes,
      (x) => `node-liquidity-${x.node.nodeId}`,
      'No hosted nodes.',
    ),
  });
}

function nodeForwardsPanel(nodes: readonly NodeWithMetrics[], days: readonly string[]): ChartPanel {
  const series = nodes.map((x, i) => ({
    ...perDay(days, x.metrics.forwardsPerDay, (d) => d.count, 0),
    alias: x.node.alias,
    color: PALETTE[i % PALETTE.length],
    fees: x.metrics.forwardsPerDay.reduce((n, d) => n + BigInt(d.feesMsat), 0n),
  }));
  const total = nodes.reduce((n, x) => n + x.metrics.forwardCount, 0);
  return chartPanel({
    title: 'Node forwards per day',
    testid: 'chart-node-forwards',
    summary: `${countOf(total, 'forward')} in this window${series
      .map((s) => `; ${s.alias} earned ${formatMsat(s.fees)}`)
      .join('')}.`,
    config: {
      type: 'bar',
      data: {
        labels: series[0]?.labels ?? [...days],
        datasets: series.map((s) => ({
          label: s.alias,
          data: s.values,
          backgroundColor: s.color,
          stack: 'f',
        })),
      },
      options: {
        scales: { x: { stacked: true }, y: { beginAtZero: true, stacked: true, ticks: { precision: 0 } } },
      },
    },
    figures: el(
      'p',
      { class: 'figures-note' },
      'Forwards and routing revenue of each node are in the table above.',
    ),
  });
}

/**
 * The balance after each ledger entry shown, oldest first: worked back from today's balance, so
 * it is exact even when older entries are not listed.
 */
export function balanceHistory(
  data: Pick<TenantData, 'account' | 'ledger'>,
): { at: string; balance: number }[] {
  let after = BigInt(data.account.balance);
  const points: { at: string; balance: number }[] = [];
  for (const e of data.ledger) {
    points.push({ at: e.createdAt, balance: Number(after) });
    after -= BigInt(e.amount);
  }
  return points.reverse();
}

function balanceHistoryPanel(data: TenantData): ChartPanel {
  const points = balanceHistory(data);
  return chartPanel({
    title: 'Balance over time',
    testid: 'chart-balance',
    summary:
      points.length === 0
        ? 'No ledger entries yet.'
        : `${formatSat(data.account.balance)} now, after ${countOf(points.length, 'ledger entry', 'ledger entries')}.`,
    config: {
      type: 'line',
      data: {
        labels: points.map((p) =>
          new Date(p.at).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }),
        ),
        datasets: [
          {
            label: 'Balance (sat)',
            data: points.map((p) => p.balance),
            borderColor: PALETTE[1],
            backgroundColor: PALETTE[1],
            stepped: 'after',
          },
        ],
      },
      options: {
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, title: { display: true, text: 'sat' } } },
      },
    },
    figures: el('p', { class: 'figures-note' }, 'Each step is one ledger entry (listed below).'),
  });
}
