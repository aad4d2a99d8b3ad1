/**
 * The `kubernetes` NodeOrchestrator driver: each hosted node is a one-replica StatefulSet in a
 * namespace of the cluster, with its PVC, Service, NetworkPolicy, ConfigMap and Secret
 * (`node-objects.ts`). The LSP reaches a node through its Service (it runs in the cluster).
 *
 * - `status` is read back from the cluster: no StatefulSet is `missing`, zero replicas
 *   `stopped`, a pod that is ready (lnd's RPC answers) `running`, a pod that failed or cannot
 *   start its container `failed`, anything else (no pod yet, scheduling, pulling) `pending`.
 * - `stop` and `start` scale the StatefulSet to 0 and 1; lnd unlocks its own wallet at each start
 *   with the password in the node's Secret, which {@link KubernetesOrchestrator.walletPassword}
 *   hands to the LSP to create the wallet with. `start` first writes the node's `lnd.conf` again
 *   from the spec it was made with and the driver's settings now (a tower client turned on,
 *   extra args): lnd reads it at its next start, as the local driver's nodes do.
 * - `destroy` deletes everything but the PVC, which is marked to be kept until the retention
 *   period ends; {@link KubernetesOrchestrator.purgeRetained} deletes those whose time is up.
 * - `exportData` is the driver's record of the node (its objects, the Secret's values left out):
 *   the node's data stays on its retained PVC.
 *
 * Creation is idempotent: objects that exist already (a creation resumed) are kept as they are,
 * the Secret above all.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeEndpoints, NodeOrchestrator, NodeRunStatus, NodeSpec } from '@blgv/core';
import { waitFor } from '@blgv/node-runner';
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import { create as createTar } from 'tar';
import { selfSignedCert } from '../tls-cert.ts';
import { existing, gone, orUndefined, podStatus } from './cluster.ts';
import {
  configMap,
  LND_PORTS,
  lndConf,
  NODE_ID_LABEL,
  NODE_SPEC_ANNOTATION,
  type NodeObjectSettings,
  networkPolicy,
  objectName,
  ownedBy,
  RETAIN_UNTIL_ANNOTATION,
  RETAINED_LABEL,
  secret,
  service,
  serviceHost,
  specFromJson,
  statefulSet,
  tlsNames,
  volumeClaim,
} from './node-objects.ts';

/** Options of {@link KubernetesOrchestrator}. */
export interface KubernetesOrchestratorOptions extends NodeObjectSettings {
  /** The cluster and the driver's identity (a kubeconfig file, or in-cluster). */
  readonly kubeConfig: KubeConfig;
  /** How long a deleted node's PVC is kept (the custody rules' archive retention). */
  readonly retentionMs: number;
  /** How long a start may take until the pod is ready (default 80 s). */
  readonly startTimeoutMs?: number;
  /** Told when a node's `lnd.conf` could not be written again (its start goes on). */
  readonly log?: { warn(fields: object, message: string): void };
}

/** A StatefulSet per node in a Kubernetes namespace. */
export class KubernetesOrchestrator implements NodeOrchestrator {
  readonly driver = 'kubernetes';
  readonly #o: KubernetesOrchestratorOptions;
  readonly #apps: AppsV1Api;
  readonly #core: CoreV1Api;
  readonly #net: NetworkingV1Api;

  constructor(options: KubernetesOrchestratorOptions) {
    this.#o = options;
    this.#apps = options.kubeConfig.makeApiClient(AppsV1Api);
    this.#core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.#net = options.kubeConfig.makeApiClient(NetworkingV1Api);
  }

  async create(spec: NodeSpec, signal: AbortSignal): Promise<NodeEndpoints> {
    const namespace = this.#o.namespace;
    const name = objectName(spec.nodeId);
    const settings = this.#settingsFor(spec.nodeId);
    const set = await existing(
      () => this.#apps.createNamespacedStatefulSet({ namespace, body: statefulSet(spec, settings) }),
      () => this.#apps.readNamespacedStatefulSet({ name, namespace }),
    );
    const owners = ownedBy(set);
    signal.throwIfAborted();
    await existing(
      () =>
        this.#core.createNamespacedPersistentVolumeClaim({
          namespace,
          body: volumeClaim(spec.nodeId, settings),
        }),
      () => this.#core.readNamespacedPersistentVolumeClaim({ name, namespace }),
    );
    const tls = await selfSignedCert(name, tlsNames(spec.nodeId, namespace, settings.publicHost));
    const values = { tlsCert: tls.cert, tlsKey: tls.key, walletPassword: randomBytes(32).toString('hex') };
    const made = await existing(
      () =>
        this.#core.createNamespacedSecret({ namespace, body: secret(spec.nodeId, settings, values, owners) }),
      () => this.#core.readNamespacedSecret({ name, namespace }),
    );
    // A resumed creation keeps the Secret it made first, and the certificate in it.
    const tlsCert = made.data?.['tls.cert']
      ? Buffer.from(made.data['tls.cert'], 'base64').toString()
      : tls.cert;
    await existing(
      () =>
        this.#core.createNamespacedConfigMap({ namespace, body: configMap(spec, settings, tlsCert, owners) }),
      () => this.#core.readNamespacedConfigMap({ name, namespace }),
    );
    await existing(
      () => this.#core.createNamespacedService({ namespace, body: service(spec.nodeId, settings, owners) }),
      () => this.#core.readNamespacedService({ name, namespace }),
    );
    await existing(
      () =>
        this.#net.createNamespacedNetworkPolicy({
          namespace,
          body: networkPolicy(spec.nodeId, settings, owners),
        }),
      () => this.#net.readNamespacedNetworkPolicy({ name, namespace }),
    );
    await this.#untilRunning(spec.nodeId, signal);
    const endpoints = await this.endpoints(spec.nodeId, signal);
    if (!endpoints) throw new Error(`hosted node ${spec.nodeId} vanished while it was created`);
    return endpoints;
  }

  async start(nodeId: string, signal: AbortSignal): Promise<void> {
    const status = await this.status(nodeId, signal);
    if (status === 'missing')
      throw new Error(`hosted node ${nodeId} has no StatefulSet in ${this.#o.namespace}`);
    await this.#rewriteConfig(nodeId).catch((err: unknown) =>
      this.#o.log?.warn(
        { nodeId, err: err instanceof Error ? err.message : String(err) },
        "hosted node's lnd.conf could not be written again (a Role without patch on ConfigMaps refuses it): it starts with the one it has",
      ),
    );
    if (status === 'running') return;
    await this.#scale(nodeId, 1);
    await this.#untilRunning(nodeId, signal);
  }

  async stop(nodeId: string, signal: AbortSignal): Promise<void> {
    if ((await this.#statefulSet(nodeId)) === undefined) return;
    await this.#scale(nodeId, 0);
    await waitFor(async () => (await this.#pod(nodeId)) === undefined, {
      what: `hosted node ${nodeId}'s pod to stop`,
      timeoutMs: (this.#o.terminationGracePeriodSeconds + 30) * 1000,
      intervalMs: 500,
      signal,
    });
  }

  async *exportData(nodeId: string, signal: AbortSignal): AsyncIterable<Uint8Array> {
    const namespace = this.#o.namespace;
    const name = objectName(nodeId);
    const set = await this.#statefulSet(nodeId);
    if (!set) throw new Error(`hosted node ${nodeId} has no StatefulSet in ${namespace}`);
    await this.stop(nodeId, signal);
    const config = await this.#core.readNamespacedConfigMap({ name, namespace });
    const record = {
      driver: this.driver,
      namespace,
      // The node's wallet and channel database stay on this volume until the retention ends.
      persistentVolumeClaim: name,
      retainedForMs: this.#o.retentionMs,
      statefulSet: { spec: set.spec },
      configMap: config.data,
    };
    const dir = mkdtempSync(join(tmpdir(), 'blgv-k8s-export-'));
    try {
      mkdirSync(join(dir, nodeId));
      writeFileSync(join(dir, nodeId, 'kubernetes.json'), `${JSON.stringify(record, null, 2)}\n`);
      const stream = createTar({ gzip: true, cwd: dir, portable: true }, [nodeId]);
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        signal.throwIfAborted();
        yield chunk;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async destroy(nodeId: string, signal: AbortSignal): Promise<void> {
    const namespace = this.#o.namespace;
    const name = objectName(nodeId);
    await this.stop(nodeId, signal);
    // Owned by the StatefulSet, so the garbage collector would delete them too: we do not wait for it.
    const propagationPolicy = 'Background';
    await gone(() => this.#apps.deleteNamespacedStatefulSet({ name, namespace, propagationPolicy }));
    await gone(() => this.#net.deleteNamespacedNetworkPolicy({ name, namespace }));
    await gone(() => this.#core.deleteNamespacedService({ name, namespace }));
    await gone(() => this.#core.deleteNamespacedConfigMap({ name, namespace }));
    await gone(() => this.#core.deleteNamespacedSecret({ name, namespace }));
    const until = new Date(Date.now() + this.#o.retentionMs).toISOString();
    await gone(() =>
      this.#core.patchNamespacedPersistentVolumeClaim(
        {
          name,
          namespace,
          body: {
            metadata: {
              labels: { [RETAINED_LABEL]: 'true' },
              annotations: { [RETAIN_UNTIL_ANNOTATION]: until },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
  }

  /** Deletes the PVCs of deleted nodes whose retention has ended; answers how many. */
  async purgeRetained(now = new Date()): Promise<number> {
    const namespace = this.#o.namespace;
    const list = await this.#core.listNamespacedPersistentVolumeClaim({
      namespace,
      labelSelector: `${RETAINED_LABEL}=true,${NODE_ID_LABEL}`,
    });
    let purged = 0;
    for (const pvc of list.items) {
      const until = Date.parse(pvc.metadata?.annotations?.[RETAIN_UNTIL_ANNOTATION] ?? '');
      const name = pvc.metadata?.name;
      if (!name || pvc.metadata?.deletionTimestamp || Number.isNaN(until) || until > now.getTime()) continue;
      await gone(() => this.#core.deleteNamespacedPersistentVolumeClaim({ name, namespace }));
      purged++;
    }
    return purged;
  }

  async status(nodeId: string, _signal: AbortSignal): Promise<NodeRunStatus> {
    const set = await this.#statefulSet(nodeId);
    if (!set) return 'missing';
    if (set.spec?.replicas === 0) return 'stopped';
    return podStatus(await this.#pod(nodeId));
  }

  async endpoints(nodeId: string, _signal: AbortSignal): Promise<NodeEndpoints | undefined> {
    const namespace = this.#o.namespace;
    const config = await orUndefined(() =>
      this.#core.readNamespacedConfigMap({ name: objectName(nodeId), namespace }),
    );
    const tlsCert = config?.data?.['tls.cert'];
    if (!tlsCert) return undefined;
    const host = serviceHost(nodeId, namespace);
    return {
      rpcAddress: `${host}:${LND_PORTS.rpc}`,
      publicRpcAddress: `${this.#settingsFor(nodeId).publicHost}:${LND_PORTS.rpc}`,
      restAddress: `${host}:${LND_PORTS.rest}`,
      p2pAddress: `${host}:${LND_PORTS.p2p}`,
      tlsCert,
    };
  }

  /** The wallet password lnd unlocks itself with (from the node's Secret); undefined when missing. */
  async walletPassword(nodeId: string, _signal: AbortSignal): Promise<Uint8Array | undefined> {
    const made = await orUndefined(() =>
      this.#core.readNamespacedSecret({ name: objectName(nodeId), namespace: this.#o.namespace }),
    );
    const password = made?.data?.['wallet-password'];
    return password
      ? Buffer.from(Buffer.from(password, 'base64').toString('utf8').trimEnd(), 'utf8')
      : undefined;
  }

  /** Nothing to release: the nodes live in the cluster. */
  async close(): Promise<void> {}

  /** The settings with the node's public host (`{nodeId}` in `publicHost` replaced). */
  #settingsFor(nodeId: string): NodeObjectSettings {
    return { ...this.#o, publicHost: this.#o.publicHost.replaceAll('{nodeId}', nodeId) };
  }

  #statefulSet(nodeId: string): Promise<V1StatefulSet | undefined> {
    return orUndefined(() =>
      this.#apps.readNamespacedStatefulSet({ name: objectName(nodeId), namespace: this.#o.namespace }),
    );
  }

  /** The node's pod (`<StatefulSet>-0`), if the cluster made one. */
  #pod(nodeId: string): Promise<V1Pod | undefined> {
    return orUndefined(() =>
      this.#core.readNamespacedPod({ name: `${objectName(nodeId)}-0`, namespace: this.#o.namespace }),
    );
  }

  /**
   * Writes the node's `lnd.conf` from the spec on its ConfigMap and the settings now, when that
   * differs from what it holds. A ConfigMap made before the spec was kept on it is left alone.
   */
  async #rewriteConfig(nodeId: string): Promise<void> {
    const name = objectName(nodeId);
    const namespace = this.#o.namespace;
    const current = await orUndefined(() => this.#core.readNamespacedConfigMap({ name, namespace }));
    const spec = specFromJson(current?.metadata?.annotations?.[NODE_SPEC_ANNOTATION]);
    if (!spec) return;
    const conf = lndConf(spec, this.#settingsFor(nodeId));
    if (current?.data?.['lnd.conf'] === conf) return;
    await this.#core.patchNamespacedConfigMap(
      { name, namespace, body: { data: { 'lnd.conf': conf } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  #scale(nodeId: string, replicas: number): Promise<unknown> {
    return this.#apps.patchNamespacedStatefulSet(
      { name: objectName(nodeId), namespace: this.#o.namespace, body: { spec: { replicas } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  async #untilRunning(nodeId: string, signal: AbortSignal): Promise<void> {
    let last: NodeRunStatus = 'pending';
    try {
      await waitFor(
        async () => {
          last = await this.status(nodeId, signal);
          if (last === 'failed') throw new Error(`hosted node ${nodeId}'s pod failed`);
          return last === 'running';
        },
        {
          what: `hosted node ${nodeId}'s pod to be ready`,
          timeoutMs: this.#o.startTimeoutMs ?? 80_000,
          intervalMs: 500,
          signal,
        },
      );
    } catch (err) {
      throw new Error(
        `hosted node ${nodeId} is not running (its pod is ${last}): ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
}
