/**
 * The Kubernetes objects of one hosted node, as the `kubernetes` driver creates them (pure: no
 * API calls). All are named `lnd-<nodeId>` and carry {@link nodeLabels}:
 *
 * - a StatefulSet of one replica (`OnDelete` updates: a changed image never restarts a tenant's
 *   node by itself), whose pod runs lnd with its data on the PVC, its `lnd.conf` from the
 *   ConfigMap and its TLS key and wallet password from the Secret, and is ready once lnd's RPC
 *   answers (`lncli state`);
 * - a PersistentVolumeClaim (`ReadWriteOncePod`: one lnd writes a wallet at a time), owned by
 *   nothing, so deleting the node keeps it until the custody retention period ends;
 * - a Service for gRPC, REST and p2p; a NetworkPolicy letting only the LSP's pods reach gRPC and
 *   REST, and anyone p2p;
 * - a ConfigMap (`lnd.conf`, the public TLS certificate) and a Secret (TLS key, wallet password,
 *   read by lnd through `wallet-unlock-password-file` as lndinit sets it up).
 *
 * The last four are owned by the StatefulSet: deleting it deletes them.
 */
import type { NodeSpec } from '@blgv/core';
import type {
  V1ConfigMap,
  V1NetworkPolicy,
  V1OwnerReference,
  V1PersistentVolumeClaim,
  V1Secret,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { type HostedLndSettings, hostedLndArgs } from '../hosted-lnd-args.ts';

/** The node's ports inside its pod (every pod has its own address, so they are the same for all). */
export const LND_PORTS = { rpc: 10009, rest: 8080, p2p: 9735 } as const;

/** Where the pod mounts its parts. */
const MOUNTS = { data: '/data', config: '/etc/lnd', secret: '/etc/lnd-secret' } as const;
/** The lnd directory in the pod (on the PVC). */
export const POD_LND_DIR = `${MOUNTS.data}/lnd`;

/** Label every object of a node carries with its id. */
export const NODE_ID_LABEL = 'blgv.io/node-id';
/** Annotation on a deleted node's PVC: when it may be deleted (ISO 8601). */
export const RETAIN_UNTIL_ANNOTATION = 'blgv.io/retain-until';
/** On a node's ConfigMap: the spec its `lnd.conf` is written from (JSON), to write it again. */
export const NODE_SPEC_ANNOTATION = 'blgv.io/node-spec';
/** Label on a deleted node's PVC, to find the retained ones. */
export const RETAINED_LABEL = 'blgv.io/retained';

/** What the driver's settings give each node (from `hosting.kubernetes`). */
export interface NodeObjectSettings extends Omit<HostedLndSettings, 'listenHost'> {
  readonly namespace: string;
  /** The LND container image. */
  readonly image: string;
  /** The PVC's storage class (the cluster's default when absent). */
  readonly storageClass?: string;
  /** The PVC's size, e.g. `10Gi`. */
  readonly storageSize: string;
  /** The container's requests and limits (`cpu`, `memory`). */
  readonly resources: {
    readonly requests?: Readonly<Record<string, string>>;
    readonly limits?: Readonly<Record<string, string>>;
  };
  /** Labels of the LSP's own pods: the only ones the NetworkPolicy lets reach gRPC and REST. */
  readonly lspPodLabels: Readonly<Record<string, string>>;
  /** The namespace the LSP's pods run in, when it is not the nodes' own. */
  readonly lspNamespace?: string;
  /** How long lnd may take to stop cleanly before it is killed. */
  readonly terminationGracePeriodSeconds: number;
}

/** The secrets of a node, made once at its creation. */
export interface NodeSecretValues {
  readonly tlsCert: string;
  readonly tlsKey: string;
  /** The wallet password (text: lnd reads the file's bytes, a trailing newline dropped). */
  readonly walletPassword: string;
}

/** The name of every object of node `nodeId`. */
export function objectName(nodeId: string): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?$/.test(nodeId))
    throw new Error(`node id ${nodeId} cannot name Kubernetes objects`);
  return `lnd-${nodeId}`;
}

/** The labels of every object of node `nodeId` (the pod selector too). */
export function nodeLabels(nodeId: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'lnd',
    'app.kubernetes.io/component': 'hosted-node',
    'app.kubernetes.io/managed-by': 'blgv-lsp',
    [NODE_ID_LABEL]: nodeId,
  };
}

/** The DNS name of the node's Service inside the cluster. */
export function serviceHost(nodeId: string, namespace: string): string {
  return `${objectName(nodeId)}.${namespace}.svc`;
}

/** The names the node's TLS certificate holds: its Service's names, loopback, the public host. */
export function tlsNames(nodeId: string, namespace: string, publicHost: string): string[] {
  const name = objectName(nodeId);
  const names = [
    name,
    `${name}.${namespace}`,
    serviceHost(nodeId, namespace),
    `${serviceHost(nodeId, namespace)}.cluster.local`,
  ];
  return [...new Set([...names, 'localhost', '127.0.0.1', publicHost])];
}

/**
 * The node's `lnd.conf`: the flags a local node gets (`hostedLndArgs`: chain, alias, features,
 * autopilot), listening on every address of the pod, its data on the PVC, with its TLS pair and
 * wallet password from the Secret. `--flag` is `flag=true`.
 */
export function lndConf(spec: NodeSpec, s: NodeObjectSettings): string {
  const args = hostedLndArgs(spec, POD_LND_DIR, LND_PORTS, { ...s, listenHost: '0.0.0.0' });
  const lines = args
    .filter((a) => !a.startsWith('--lnddir='))
    .map((a) => {
      const flag = a.replace(/^--/, '');
      return flag.includes('=') ? flag : `${flag}=true`;
    });
  lines.push(
    // Not `lnddir`: lnd puts its TLS pair under a non-default lnddir whatever `tlscertpath` says.
    `datadir=${POD_LND_DIR}/data`,
    `logdir=${POD_LND_DIR}/logs`,
    `letsencryptdir=${POD_LND_DIR}/letsencrypt`,
    `tlscertpath=${MOUNTS.secret}/tls.cert`,
    `tlskeypath=${MOUNTS.secret}/tls.key`,
    // lnd unlocks its wallet by itself at each start; the LSP creates it with this password.
    `wallet-unlock-password-file=${MOUNTS.secret}/wallet-password`,
    'wallet-unlock-allow-create=true',
  );
  return `# hosted node ${spec.nodeId}, written by blgv-lsp\n[Application Options]\n${lines.join('\n')}\n`;
}

/** The StatefulSet (made first: it owns the rest). */
export function statefulSet(spec: NodeSpec, s: NodeObjectSettings): V1StatefulSet {
  const name = objectName(spec.nodeId);
  const labels = nodeLabels(spec.nodeId);
  const network = s.chain.network;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: s.namespace, labels },
    spec: {
      replicas: 1,
      serviceName: name,
      selector: { matchLabels: { [NODE_ID_LABEL]: spec.nodeId } },
      updateStrategy: { type: 'OnDelete' },
      podManagementPolicy: 'OrderedReady',
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containers: [
            {
              name: 'lnd',
              image: s.image,
              args: [`--configfile=${MOUNTS.config}/lnd.conf`],
              ports: [
                { name: 'grpc', containerPort: LND_PORTS.rpc },
                { name: 'rest', containerPort: LND_PORTS.rest },
                { name: 'p2p', containerPort: LND_PORTS.p2p },
              ],
              // Ready once lnd's RPC answers (its wallet may not exist yet: the LSP creates it).
              readinessProbe: {
                exec: {
                  command: [
                    'lncli',
                    `--network=${network}`,
                    `--rpcserver=localhost:${LND_PORTS.rpc}`,
                    `--tlscertpath=${MOUNTS.secret}/tls.cert`,
                    '--no-macaroons',
                    'state',
                  ],
                },
                periodSeconds: 5,
                timeoutSeconds: 5,
              },
              resources: {
                ...(s.resources.requests ? { requests: { ...s.resources.requests } } : {}),
                ...(s.resources.limits ? { limits: { ...s.resources.limits } } : {}),
              },
              volumeMounts: [
                { name: 'data', mountPath: MOUNTS.data },
                { name: 'config', mountPath: MOUNTS.config, readOnly: true },
                { name: 'secret', mountPath: MOUNTS.secret, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'data', persistentVolumeClaim: { claimName: name } },
            { name: 'config', configMap: { name, items: [{ key: 'lnd.conf', path: 'lnd.conf' }] } },
            { name: 'secret', secret: { secretName: name, defaultMode: 0o400 } },
          ],
        },
      },
    },
  };
}

/** The owner reference to the node's StatefulSet. */
export function ownedBy(set: V1StatefulSet): V1OwnerReference[] {
  if (!set.metadata?.name || !set.metadata.uid) throw new Error('the StatefulSet has no name or uid yet');
  return [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name, uid: set.metadata.uid }];
}

/** The PVC (no owner: it outlives the node for the retention period). */
export function volumeClaim(nodeId: string, s: NodeObjectSettings): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: objectName(nodeId), namespace: s.namespace, labels: nodeLabels(nodeId) },
    spec: {
      accessModes: ['ReadWriteOncePod'],
      ...(s.storageClass ? { storageClassName: s.storageClass } : {}),
      resources: { requests: { storage: s.storageSize } },
    },
  };
}

/** The ConfigMap: `lnd.conf` and the node's (public) TLS certificate. */
export function configMap(
  spec: NodeSpec,
  s: NodeObjectSettings,
  tlsCert: string,
  owners: V1OwnerReference[],
): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...meta(spec.nodeId, s, owners), annotations: { [NODE_SPEC_ANNOTATION]: specJson(spec) } },
    data: { 'lnd.conf': lndConf(spec, s), 'tls.cert': tlsCert },
  };
}

/** A spec as {@link NODE_SPEC_ANNOTATION} holds it (the autopilot's sizes as decimal strings). */
export function specJson(spec: NodeSpec): string {
  return JSON.stringify(spec, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

/** The spec {@link NODE_SPEC_ANNOTATION} holds; `undefined` when there is none or it is not one. */
export function specFromJson(json: string | undefined): NodeSpec | undefined {
  if (!json) return undefined;
  try {
    const spec = JSON.parse(json) as NodeSpec;
    if (typeof spec.nodeId !== 'string' || typeof spec.alias !== 'string' || !spec.features) return undefined;
    const pilot = spec.autopilot;
    return pilot
      ? {
          ...spec,
          autopilot: {
            ...pilot,
            minChannelSize: BigInt(pilot.minChannelSize),
            maxChannelSize: BigInt(pilot.maxChannelSize),
          },
        }
      : spec;
  } catch {
    return undefined;
  }
}

/** The Secret: TLS key (and certificate, for lnd) and wallet password. */
export function secret(
  nodeId: string,
  s: NodeObjectSettings,
  values: NodeSecretValues,
  owners: V1OwnerReference[],
): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(nodeId, s, owners),
    type: 'Opaque',
    immutable: true,
    stringData: {
      'tls.cert': values.tlsCert,
      'tls.key': values.tlsKey,
      'wallet-password': values.walletPassword,
    },
  };
}

/** The Service: gRPC, REST and p2p of the node's pod. */
export function service(nodeId: string, s: NodeObjectSettings, owners: V1OwnerReference[]): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(nodeId, s, owners),
    spec: {
      type: 'ClusterIP',
      selector: { [NODE_ID_LABEL]: nodeId },
      ports: [
        { name: 'grpc', port: LND_PORTS.rpc, targetPort: 'grpc' },
        { name: 'rest', port: LND_PORTS.rest, targetPort: 'rest' },
        { name: 'p2p', port: LND_PORTS.p2p, targetPort: 'p2p' },
      ],
    },
  };
}

/** The NetworkPolicy: gRPC and REST from the LSP's pods only, p2p from anywhere, nothing else. */
export function networkPolicy(
  nodeId: string,
  s: NodeObjectSettings,
  owners: V1OwnerReference[],
): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(nodeId, s, owners),
    spec: {
      podSelector: { matchLabels: { [NODE_ID_LABEL]: nodeId } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          _from: [
            {
              podSelector: { matchLabels: { ...s.lspPodLabels } },
              // A pod selector alone selects pods of the policy's own namespace.
              ...(s.lspNamespace && s.lspNamespace !== s.namespace
                ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': s.lspNamespace } } }
                : {}),
            },
          ],
          ports: [
            { protocol: 'TCP', port: LND_PORTS.rpc },
            { protocol: 'TCP', port: LND_PORTS.rest },
          ],
        },
        { ports: [{ protocol: 'TCP', port: LND_PORTS.p2p }] },
      ],
    },
  };
}

function meta(nodeId: string, s: NodeObjectSettings, owners: V1OwnerReference[]) {
  return {
    name: objectName(nodeId),
    namespace: s.namespace,
    labels: nodeLabels(nodeId),
    ownerReferences: owners,
  };
}
