/**
 * The `hosting` section of the configuration: hosted nodes for tenants.
 */
import { Type } from '@sinclair/typebox';

/** Requests or limits of a node's container (`cpu`, `memory`, as Kubernetes writes them). */
const ResourceAmounts = Type.Record(
  Type.String({ pattern: '^[a-z0-9.-/]+$' }),
  Type.String({ minLength: 1 }),
);

/**
 * The `kubernetes` driver (`hosting.driver: "kubernetes"`): each node a StatefulSet in
 * `namespace` (docs/kubernetes.md).
 */
export const KubernetesHostingSchema = Type.Object(
  {
    /** A kubeconfig file with the driver's identity; absent: the pod's service account (in-cluster). */
    kubeconfigPath: Type.Optional(Type.String({ minLength: 1 })),
    /** The namespace the nodes live in (the driver's Role is bound there). */
    namespace: Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', default: 'lsp-nodes' }),
    /** The LND image (the pinned lnd release by default). */
    image: Type.String({ minLength: 1, default: 'lightninglabs/lnd:v0.21.3-beta' }),
    /** Storage class of each node's volume (the cluster's default when absent). */
    storageClass: Type.Optional(Type.String({ minLength: 1 })),
    /** Size of each node's volume. */
    storageSize: Type.String({ pattern: '^[0-9]+(Mi|Gi|Ti)$', default: '10Gi' }),
    /** The LND container's requests and limits. */
    resources: Type.Object(
      { requests: Type.Optional(ResourceAmounts), limits: Type.Optional(ResourceAmounts) },
      {
        additionalProperties: false,
        default: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      },
    ),
    /** Labels of the LSP's own pods: only they reach a node's gRPC and REST (NetworkPolicy). */
    lspPodLabels: Type.Record(Type.String({ minLength: 1 }), Type.String(), {
      default: { 'app.kubernetes.io/name': 'blgv-lsp' },
    }),
    /** The namespace the LSP's pods run in, when it is not `namespace` (for the NetworkPolicy). */
    lspNamespace: Type.Optional(Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' })),
    /**
     * The host customers reach a node's gRPC and p2p at (`{nodeId}` is replaced by the node's
     * id); named in its TLS certificate. Default: its Service's name in the cluster.
     */
    publicHost: Type.Optional(Type.String({ minLength: 1 })),
    /** How long LND has to stop cleanly before its pod is killed. */
    terminationGracePeriodSeconds: Type.Integer({ minimum: 10, maximum: 3_600, default: 120 }),
    /** How long a node's pod may take to become ready when it is created or started. */
    startTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 80_000 }),
  },
  { additionalProperties: false, default: {} },
);

/**
 * Hosted nodes (`/v1/nodes`): one LND per customer node, run by the `local` driver on this
 * machine or the `kubernetes` driver in a cluster. On regtest the nodes use the embedded btcd; with an existing LND, `chain` says
 * which chain backend they use (hosting is off without it).
 */
export const HostingConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** Where nodes run: `local` (LND processes on this machine) or `kubernetes` (`hosting.kubernetes`). */
    driver: Type.Union([Type.Literal('local'), Type.Literal('kubernetes')], { default: 'local' }),
    kubernetes: KubernetesHostingSchema,
    /** One directory per node (default: under the regtest network's directory, else ~/.local/share/blgv-lsp/nodes). */
    dataDir: Type.Optional(Type.String({ minLength: 1 })),
    /** Ports of the nodes (3 per node: gRPC, REST, p2p); keep it below the OS's ephemeral range. */
    portFrom: Type.Integer({ minimum: 1024, maximum: 65_535, default: 19_000 }),
    portTo: Type.Integer({ minimum: 1024, maximum: 65_535, default: 19_999 }),
    /** Address the nodes' listeners bind. */
    listenHost: Type.String({ minLength: 1, default: '127.0.0.1' }),
    /** Host customers reach the nodes' gRPC and p2p ports at; named in their TLS certificates. */
    publicHost: Type.String({ minLength: 1, default: '127.0.0.1' }),
    /** Base of each node's `endpoint` (default: the server's own URL). */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+$' })),
    /** Nodes keep running while the server restarts (default: true, false in the regtest demo). */
    outliveServer: Type.Optional(Type.Boolean()),
    maxNodes: Type.Integer({ minimum: 0, maximum: 10_000, default: 50 }),
    maxNodesPerTenant: Type.Integer({ minimum: 0, maximum: 10_000, default: 5 }),
    /** How long a month of hosting lasts (30 days; shorter only for tests and demos). */
    billingPeriodSeconds: Type.Integer({ minimum: 1, default: 30 * 86_400 }),
    /** How long a node keeps running with a month unpaid, or its tenant owing a debt, before it is suspended. */
    gracePeriodSeconds: Type.Integer({ minimum: 0, default: 3 * 86_400 }),
    /** How often the keeper checks every node (and restarts dead ones). */
    checkIntervalMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5_000 }),
    /** How often sent payments are billed. */
    billingIntervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 60_000 }),
    /**
     * The least time between two announcements of the LSP's node to an autopilot node that
     * lacks it (default: 5 s on regtest, 10 min elsewhere; each is relayed network-wide).
     */
    reannounceIntervalMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 86_400_000 })),
    /**
     * How long a repeated `POST /v1/nodes` (same Idempotency-Key) is shown the seed again,
     * unless the tenant acknowledged it (`POST /v1/nodes/:id/seed/acknowledge`).
     */
    seedRedeliverySeconds: Type.Integer({ minimum: 0, maximum: 30 * 86_400, default: 86_400 }),
    /** Deleting nodes: see docs/hosting.md. */
    deletion: Type.Object(
      {
        /**
         * How long a channel's peer has to come for a cooperative close before the channel is
         * force-closed (its funds then wait out their time lock).
         */
        forceCloseAfterSeconds: Type.Integer({ minimum: 0, maximum: 30 * 86_400, default: 86_400 }),
        /** Confirmations the sweep of a deleted node's funds needs before the node is removed. */
        sweepConfirmations: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * Where removed nodes' encrypted archives are kept (default: beside the nodes' data
     * directory: under the regtest network's directory, else ~/.local/share/blgv-lsp/node-archives).
     */
    archiveDir: Type.Optional(Type.String({ minLength: 1 })),
    /** How long a removed node's archive (its data, sealed seed, latest backup) is kept. */
    archiveRetentionSeconds: Type.Integer({
      minimum: 0,
      maximum: 10 * 365 * 86_400,
      default: 90 * 86_400,
    }),
    /** How often archives past their retention are looked for and purged. */
    archivePurgeIntervalMs: Type.Integer({ minimum: 100, maximum: 86_400_000, default: 3_600_000 }),
    /** The lnd binary (default: the one `npm run build:lightning` built). */
    lndBinary: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * The watchtower every hosted node backs its revoked channel states up to, so that a peer
     * publishing an old state while the node is stopped or down is still punished (docs/hosting.md,
     * "Watchtower"): `lsp` (default) the LSP's own LND's tower when it runs one
     * (`watchtower.active`, `watchtower.externalip` so the nodes can dial it), `off` none, or a
     * tower's `pubkey@host:port`.
     */
    watchtower: Type.Union(
      [
        Type.Literal('lsp'),
        Type.Literal('off'),
        Type.String({ pattern: '^0[23][0-9a-f]{64}@[^@\\s]+:[0-9]{1,5}$', description: 'pubkey@host:port' }),
      ],
      { default: 'lsp' },
    ),
    /** More lnd flags for every hosted node. */
    extraLndArgs: Type.Array(Type.String(), { default: [] }),
    /** The nodes' chain backend when the LSP runs on an existing LND (bitcoind in production). */
    chain: Type.Optional(
      Type.Union([
        Type.Object(
          {
            kind: Type.Literal('btcd'),
            network: Type.Union(['regtest', 'testnet', 'signet', 'mainnet'].map((n) => Type.Literal(n))),
            rpcHost: Type.String({ minLength: 1 }),
            rpcUser: Type.String(),
            rpcPass: Type.String(),
            rpcCertPath: Type.String({ minLength: 1 }),
          },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            kind: Type.Literal('bitcoind'),
            network: Type.Union(['regtest', 'testnet', 'signet', 'mainnet'].map((n) => Type.Literal(n))),
            rpcHost: Type.String({ minLength: 1 }),
            rpcUser: Type.String(),
            rpcPass: Type.String(),
            zmqPubRawBlock: Type.String({ minLength: 1 }),
            zmqPubRawTx: Type.String({ minLength: 1 }),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false, default: {} },
);
