/**
 * Monitoring on the wire: the spec's `NodeMetrics` for a hosted node (`/v1/nodes/:id/metrics`)
 * and for the LSP's own node (`/v1/admin/lsp/metrics`), and the operator's business figures
 * (`/v1/admin/lsp/figures`). Msat amounts are decimal strings, sat amounts integers.
 */
import { type Static, Type } from '@sinclair/typebox';
import { LIST_PAGE, NextCursor, pageQueryFields } from './paging.ts';
import { MsatString, SatAmount } from './wire-values.ts';

/** The windows metrics are asked over. */
export const MetricsWindowName = Type.Union(
  [Type.Literal('24h'), Type.Literal('7d'), Type.Literal('30d'), Type.Literal('1y')],
  { description: 'the window ending now (default 24h)' },
);

/** `?window=&limit=&cursor=` of a metrics request. */
export const NodeMetricsQuery = Type.Object(
  {
    window: Type.Optional(MetricsWindowName),
    ...pageQueryFields(LIST_PAGE, 'forwarding events'),
  },
  { additionalProperties: false },
);
export type NodeMetricsQuery = Static<typeof NodeMetricsQuery>;

/** One forward the node made. */
export const ForwardingEventWire = Type.Object({
  index: Type.String({ description: "position in the node's forwarding log" }),
  timestamp: Type.String({ format: 'date-time' }),
  chanIdIn: Type.String({ description: 'incoming short channel id (decimal)' }),
  chanIdOut: Type.String({ description: 'outgoing short channel id (decimal)' }),
  amtInMsat: MsatString('received'),
  amtOutMsat: MsatString('sent on'),
  feeMsat: MsatString('earned'),
});

/** Forwards of one UTC day. */
export const ForwardDayWire = Type.Object({
  day: Type.String({ description: 'YYYY-MM-DD (UTC)' }),
  count: Type.Integer({ minimum: 0 }),
  volumeMsat: MsatString('sent on'),
  feesMsat: MsatString('earned'),
});

const SuccessRate = (description: string) =>
  Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description });

/** How the payments of one purpose ended. */
export const PurposeOutcomesWire = Type.Object({
  succeeded: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
  successRate: SuccessRate('succeeded / (succeeded + failed); null when none ended'),
});

/**
 * A node's payments in the window by what they were for: tenants' payments, wallets' invoices
 * paid for wrapped invoices, the LSP's rebalancing, its probes and checks, and the rest (a hosted node's are all `tenant`).
 */
export const PaymentsByPurposeWire = Type.Object(
  {
    tenant: PurposeOutcomesWire,
    wrapped: PurposeOutcomesWire,
    rebalance: PurposeOutcomesWire,
    probe: PurposeOutcomesWire,
    other: PurposeOutcomesWire,
  },
  { description: "the node's payments that ended in the window, by purpose" },
);

/** The spec's `NodeMetrics`, and what the monitor saw with it. */
export const NodeMetricsResponse = Type.Object({
  nodeId: Type.String({ description: "`lsp` for the LSP's own node" }),
  window: MetricsWindowName,
  measuredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'when the monitor last read the node (null: not yet)',
  }),
  channelCount: Type.Integer({ minimum: 0, description: 'open channels' }),
  activeChannels: Type.Integer({ minimum: 0 }),
  pendingChannels: Type.Integer({ minimum: 0 }),
  totalCapacity: SatAmount('capacity of the open channels'),
  localBalance: SatAmount('outbound liquidity'),
  remoteBalance: SatAmount('inbound liquidity'),
  onchainBalance: SatAmount('confirmed on-chain wallet balance'),
  routingRevenue: MsatString('fees earned forwarding in the window'),
  forwardCount: Type.Integer({ minimum: 0, description: 'forwards in the window' }),
  forwardVolume: MsatString('amount forwarded in the window'),
  successRate: SuccessRate(
    'succeeded / (succeeded + failed) payments sent in the window, probes, checks and rebalancing left out; null when none ended',
  ),
  payments: Type.Object({ succeeded: Type.Integer({ minimum: 0 }), failed: Type.Integer({ minimum: 0 }) }),
  paymentsByPurpose: PaymentsByPurposeWire,
  uptime: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
    description: 'fraction of the checked part of the window the node answered; null when never checked',
  }),
  forwardsPerDay: Type.Array(ForwardDayWire),
  forwardingEvents: Type.Array(ForwardingEventWire, { description: 'newest first' }),
  nextCursor: NextCursor,
});
export type NodeMetricsResponse = Static<typeof NodeMetricsResponse>;

/** `?window=` of the business figures. */
export const FiguresQuery = Type.Object(
  { window: Type.Optional(MetricsWindowName) },
  { additionalProperties: false },
);
export type FiguresQuery = Static<typeof FiguresQuery>;

const SignedMsat = (description: string) =>
  Type.String({ pattern: '^-?[0-9]+$', description: `${description}, msat` });

/** Revenue of each source. */
export const RevenueBySource = Type.Object({
  channel_sales: SignedMsat('opening fees of channels sold and funded (REST and LSPS1)'),
  push_margin: SignedMsat('charged for pushes less pushed'),
  jit_opening_fees: SignedMsat('LSPS2 opening fees of completed JIT channels'),
  reservations: SignedMsat('reservation and purchase fees, net of refunds'),
  utilization: SignedMsat('utilization fees'),
  routing: SignedMsat("fees the LSP's node earned forwarding"),
  hosting: SignedMsat('hosting months and transaction fees, net of refunds'),
  wrapped_fees: SignedMsat('fees of completed wrapped invoices (JIT channels for stock-node wallets)'),
});

/** The operator's business figures. */
export const LspFiguresResponse = Type.Object({
  window: MetricsWindowName,
  revenue: Type.Object({
    totalMsat: SignedMsat('all sources'),
    bySource: RevenueBySource,
    perDay: Type.Array(Type.Intersect([Type.Object({ day: Type.String() }), RevenueBySource])),
  }),
  costs: Type.Object(
    {
      rebalancing: Type.Object({
        count: Type.Integer({ minimum: 0, description: 'rebalances made in the window' }),
        movedSat: SatAmount('moved by them'),
        feeMsat: SignedMsat("what they cost the LSP (its own expense, beside revenue's routing)"),
      }),
      unpaidChannels: Type.Object({
        count: Type.Integer({
          minimum: 0,
          description:
            'JIT channels the LSP closed in the window because their client never paid (a withheld batch that went out for its other members)',
        }),
        fundingShareSat: SatAmount(
          "their shares of their funding transactions' fees (the LSP's own expense)",
        ),
        closeFeeSat: SatAmount(
          "what their closes cost the LSP, for those resolved so far: the capacity less what the close settled back (a cooperative close's fee; a force close's commitment fee and anchors, its later sweep not counted)",
        ),
      }),
    },
    { description: "the LSP's own expenses in the window" },
  ),
  channelsSold: Type.Integer({ minimum: 0 }),
  jitChannelsOpened: Type.Integer({ minimum: 0 }),
  jitLatency: Type.Object({
    count: Type.Integer({ minimum: 0 }),
    medianMs: Type.Union([Type.Integer(), Type.Null()]),
    p95Ms: Type.Union([Type.Integer(), Type.Null()]),
    maxMs: Type.Union([Type.Integer(), Type.Null()]),
  }),
  liquidity: Type.Object({
    measuredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    outbound: SatAmount("in the LSP's channels on its side"),
    inbound: SatAmount("in the LSP's channels on the peers' side"),
    onchain: SatAmount('confirmed in the on-chain wallet'),
    reserved: SatAmount('held by live reservations'),
  }),
  forwardsPerDay: Type.Array(ForwardDayWire),
  payments: Type.Object(
    {
      successRate: SuccessRate(
        "of the LSP node's payments made for someone (tenants' and others), probes, checks and rebalancing left out; null when none ended",
      ),
      succeeded: Type.Integer({ minimum: 0 }),
      failed: Type.Integer({ minimum: 0 }),
      byPurpose: PaymentsByPurposeWire,
    },
    { description: "the payments the LSP's node sent that ended in the window" },
  ),
  openOrders: Type.Array(
    Type.Object({ kind: Type.String(), state: Type.String(), count: Type.Integer({ minimum: 0 }) }),
  ),
  hostedNodes: Type.Array(
    Type.Object({
      nodeId: Type.String(),
      tenantId: Type.String(),
      alias: Type.String(),
      status: Type.String(),
      uptime: Type.Union([Type.Number(), Type.Null()]),
      channelCount: Type.Integer({ minimum: 0 }),
      totalCapacity: SatAmount('capacity of its open channels'),
    }),
  ),
});
export type LspFiguresResponse = Static<typeof LspFiguresResponse>;
