/**
 * Hosted nodes on the wire (`/v1/nodes`): the spec's `HostedNodeConfig` in, its `HostedNode`
 * out, with what a customer needs to reach the node.
 */
import { type Static, Type } from '@sinclair/typebox';
import { RootKeyId, RootKeyIdOrNull } from './node-macaroons.ts';
import { LIST_PAGE, NextCursor, PageQuery } from './paging.ts';
import { SatAmount } from './wire-values.ts';

/** Protocol features a node can turn on; see docs/hosting.md. Unknown names are refused. */
export const NodeFeaturesBody = Type.Object(
  {
    keysend: Type.Optional(Type.Boolean({ description: 'accept keysend payments (default true)' })),
    amp: Type.Optional(Type.Boolean({ description: 'accept AMP payments (default false)' })),
    wumbo: Type.Optional(
      Type.Boolean({ description: 'allow channels above 16,777,215 sat (default false)' }),
    ),
    zeroConf: Type.Optional(
      Type.Boolean({ description: 'accept zero-conf channels (turns on scidAlias; default false)' }),
    ),
    scidAlias: Type.Optional(Type.Boolean({ description: 'option-scid-alias channels (default false)' })),
  },
  { additionalProperties: false },
);

/** One initial channel: inbound liquidity from the LSP node, sold like `POST /v1/channels`. */
export const ChannelConfigBody = Type.Object(
  {
    capacity: SatAmount('channel size, funded by the LSP', 1),
    pushAmount: Type.Optional(SatAmount('pushed to the hosted node at open, charged sat for sat')),
    isPrivate: Type.Optional(Type.Boolean({ description: 'unannounced channel (default false)' })),
  },
  { additionalProperties: false },
);

/** LND's autopilot, preferring the LSP as peer. */
export const AutopilotConfigBody = Type.Object(
  {
    enabled: Type.Boolean(),
    maxChannels: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'default 3' })),
    allocationPercent: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description: 'share of on-chain funds put into channels (default 60)',
      }),
    ),
    minChannelSize: Type.Optional(SatAmount('smallest channel autopilot opens (default 20,000)', 20_000)),
    maxChannelSize: Type.Optional(SatAmount('largest channel autopilot opens (default 16,777,215)', 20_000)),
  },
  { additionalProperties: false },
);

/** `POST /v1/nodes` and `POST /v1/nodes/quote`: the spec's `HostedNodeConfig`. */
export const HostedNodeConfigBody = Type.Object(
  {
    alias: Type.String({ minLength: 1, maxLength: 32, description: 'node alias, at most 32 bytes of UTF-8' }),
    color: Type.Optional(
      Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: '#rrggbb (default #3399ff)' }),
    ),
    features: Type.Optional(NodeFeaturesBody),
    channels: Type.Optional(
      Type.Array(ChannelConfigBody, { maxItems: 5, description: 'initial inbound channels' }),
    ),
    autopilot: Type.Optional(AutopilotConfigBody),
  },
  { additionalProperties: false },
);
export type HostedNodeConfigBody = Static<typeof HostedNodeConfigBody>;

/** Where a node is in its life. */
export const HostedNodeStatus = Type.Union(
  ['creating', 'running', 'stopped', 'suspended', 'deleting', 'deleted', 'failed'].map((s) =>
    Type.Literal(s),
  ),
);

/** The price of a node: the first month and each initial channel item by item. */
export const HostedNodeQuoteResponse = Type.Object({
  monthlyFee: SatAmount('hosting, charged now for the first 30 days and then every 30 days'),
  transactionFee: SatAmount('charged for each payment the node sends'),
  channels: Type.Array(
    Type.Object({
      capacity: SatAmount('channel size'),
      openingFee: SatAmount('opening fee of the schedule'),
      push: SatAmount('push, sat for sat'),
      networkFee: SatAmount("the channel's share of its funding transaction"),
      total: SatAmount('what this channel charges'),
    }),
  ),
  total: SatAmount('charged at creation: the first month and every channel'),
});
export type HostedNodeQuoteResponse = Static<typeof HostedNodeQuoteResponse>;

/** One initial channel of a node as sold. */
const HostedNodeChannel = Type.Object({
  id: Type.String({ description: 'the channel request (`GET /v1/channels/:id`)' }),
  status: Type.String(),
  capacity: SatAmount('channel size'),
});

/** What a node held at the deletion's last look. */
const HoldingsBody = Type.Object({
  openChannels: Type.Integer({ minimum: 0 }),
  openingChannels: Type.Integer({ minimum: 0 }),
  closingChannels: Type.Integer({
    minimum: 0,
    description: 'waiting for their close to confirm, or force-closed',
  }),
  channelSat: SatAmount("the node's own funds in those channels"),
  timeLockedSat: SatAmount('funds of closing channels not yet back in the wallet (time-locked or unswept)'),
  onchainConfirmedSat: SatAmount('confirmed on-chain funds'),
  onchainUnconfirmedSat: SatAmount('on-chain funds in unconfirmed transactions'),
});

/** A node's deletion: what was asked, what it still holds, why it stays, where its funds went. */
export const NodeDeletionBody = Type.Object({
  requestedAt: Type.String({ format: 'date-time' }),
  closeChannels: Type.Boolean(),
  sweepAddress: Type.Union([Type.String(), Type.Null()]),
  phase: Type.Union(
    [
      'closing_channels',
      'waiting_for_closes',
      'sweeping',
      'waiting_for_sweep',
      'removing',
      'blocked',
      'removed',
    ].map((p) => Type.Literal(p)),
    { description: 'where the deletion is (docs/hosting.md)' },
  ),
  holdings: Type.Union([HoldingsBody, Type.Null()], { description: 'at the last look (null before it)' }),
  reasons: Type.Array(Type.String(), { description: 'why the node is not removed yet, one phrase each' }),
  sweeps: Type.Array(
    Type.Object({
      txid: Type.String(),
      amount: SatAmount('paid to the sweep address'),
      address: Type.String(),
      confirmations: Type.Integer({ minimum: 0 }),
    }),
  ),
  checkedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  removedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  archiveExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: "until when the LSP keeps the removed node's encrypted archive",
  }),
});
export type NodeDeletionBody = Static<typeof NodeDeletionBody>;

/** A hosted node (the spec's `HostedNode` plus what a customer needs to use it). */
export const HostedNodeResponse = Type.Object({
  nodeId: Type.String(),
  alias: Type.String(),
  color: Type.String(),
  status: HostedNodeStatus,
  pubkey: Type.Union([Type.String(), Type.Null()]),
  endpoint: Type.String({
    description: "<public URL>/nodes/<nodeId>: the node's LND REST API through the LSP",
  }),
  grpcHost: Type.Union([Type.String(), Type.Null()], { description: 'host:port of LND gRPC' }),
  p2pHost: Type.Union([Type.String(), Type.Null()], {
    description: 'host:port of the Lightning p2p listener',
  }),
  macaroon: Type.Union([Type.String(), Type.Null()], {
    description: "the customer's macaroon, hex (see docs/hosting.md for its permissions); null once revoked",
  }),
  macaroonRootKeyId: RootKeyIdOrNull('the root key the customer macaroon was baked under'),
  readOnlyMacaroon: Type.Union([Type.String(), Type.Null()], {
    description: 'a macaroon that can only read, hex; null once revoked',
  }),
  readOnlyMacaroonRootKeyId: RootKeyIdOrNull('the root key the read-only macaroon was baked under'),
  tlsCert: Type.Union([Type.String(), Type.Null()], { description: "PEM of the node's TLS certificate" }),
  lndconnect: Type.Union([Type.String(), Type.Null()], {
    description: 'lndconnect:// URI for wallets (gRPC)',
  }),
  seed: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'the wallet seed (24 words): in the creation answer, and again to a repeat of it (same Idempotency-Key) until acknowledged or hosting.seedRedeliverySeconds pass',
    }),
  ),
  channels: Type.Array(HostedNodeChannel),
  paidUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  failure: Type.Union([Type.String(), Type.Null()]),
  deletion: Type.Union([NodeDeletionBody, Type.Null()], { description: 'once a deletion was asked' }),
  process: Type.Optional(
    Type.Union(
      ['running', 'stopped', 'missing', 'pending', 'failed'].map((s) => Type.Literal(s)),
      {
        description:
          "`GET /v1/nodes/:id` only: the node's process as its driver reads it now (local: the LND process; kubernetes: its pod, `pending` while none runs); absent when the driver did not answer",
      },
    ),
  ),
  watchtower: Type.Optional(
    Type.Union(
      [
        Type.Object({
          tower: Type.String({ description: "the tower's pubkey@host:port" }),
          backups: Type.Integer({ minimum: 0, description: 'revoked channel states the tower holds' }),
          pendingBackups: Type.Integer({ minimum: 0, description: 'revoked states still to be sent to it' }),
        }),
        Type.Null(),
      ],
      {
        description:
          '`GET /v1/nodes/:id` only: what the node has backed up to the watchtower that punishes a peer publishing a revoked state while the node is offline (docs/hosting.md, Watchtower); null when no tower watches it; absent when the node did not answer',
      },
    ),
  ),
  createdAt: Type.String({ format: 'date-time' }),
});
export type HostedNodeResponse = Static<typeof HostedNodeResponse>;

/** `?limit=&cursor=` of `GET /v1/nodes`. */
export const HostedNodesQuery = PageQuery(LIST_PAGE, 'nodes');
export type HostedNodesQuery = Static<typeof HostedNodesQuery>;

/** `GET /v1/nodes`: the tenant's hosted nodes, newest first, a page at a time. */
export const HostedNodesResponse = Type.Object({
  nodes: Type.Array(HostedNodeResponse),
  nextCursor: NextCursor,
});
export type HostedNodesResponse = Static<typeof HostedNodesResponse>;

/** `DELETE /v1/nodes/:id`: what to do with channels and funds. */
export const DeleteNodeBody = Type.Object(
  {
    closeChannels: Type.Optional(
      Type.Boolean({
        description:
          'close every channel (cooperatively; force-closed when the peer does not come within hosting.deletion.forceCloseAfterSeconds)',
      }),
    ),
    sweepAddress: Type.Optional(
      Type.String({
        minLength: 14,
        maxLength: 100,
        description: "send every coin here (an address of the nodes' network) before the node is removed",
      }),
    ),
  },
  { additionalProperties: false },
);
export type DeleteNodeBody = Static<typeof DeleteNodeBody>;

/** `POST /v1/nodes/:id/macaroons`. */
export const MacaroonBody = Type.Object(
  {
    permissions: Type.Array(
      Type.Object(
        {
          entity: Type.Union(
            ['onchain', 'offchain', 'address', 'message', 'peers', 'info', 'invoices', 'signer'].map((e) =>
              Type.Literal(e),
            ),
          ),
          action: Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('generate')]),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 32 },
    ),
  },
  { additionalProperties: false },
);
export type MacaroonBody = Static<typeof MacaroonBody>;

/** A baked macaroon. */
export const MacaroonResponse = Type.Object({
  macaroon: Type.String({ description: 'hex' }),
  rootKeyId: RootKeyId('its own root key: `DELETE /v1/nodes/:id/macaroons/:rootKeyId` revokes it alone'),
});
export type MacaroonResponse = Static<typeof MacaroonResponse>;

/** `GET /v1/nodes/:id/backup`. */
export const NodeBackupResponse = Type.Object({
  multiChannelBackup: Type.String({
    description: "base64 of LND's encrypted multi-channel backup (restore with the seed)",
  }),
  channelCount: Type.Integer(),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type NodeBackupResponse = Static<typeof NodeBackupResponse>;
