/**
 * Customer macaroons revocable one at a time. LND verifies a macaroon against the root key it
 * was baked under, read from its macaroon database on every call; `DeleteMacaroonID` deletes
 * one root key, and every macaroon baked under it is refused from the next call on
 * (`verification failed: ... root key with id N doesn't exist`). So each customer macaroon (the
 * customer and read-only ones baked at creation, each extra one) gets a random root key of its
 * own, recorded with what it grants (never the macaroon). Root key 0 is the admin macaroon's,
 * the LSP's own access: LND refuses to delete it, and so do we before asking.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, invalidInput, LspError, type MacaroonPermission, type NodePort } from '@blgv/core';
import {
  type Database,
  HostedNodeMacaroonsRepository,
  type HostedNodeRecord,
  HostedNodesRepository,
  type Kysely,
  type NodeMacaroonKind,
  type NodeMacaroonRecord,
  type Schema,
} from '@blgv/store';
import { checkRequestedPermissions } from './macaroon-permissions.ts';

/** Root key ids are stored as Postgres `bigint`: below 2^63. */
const MAX_ROOT_KEY_ID = (1n << 63n) - 1n;

/** A macaroon and the root key it was baked under. */
export interface BakedMacaroon {
  readonly macaroon: string;
  readonly rootKeyId: bigint;
}

/** A random root key id, never 0 (LND's default root key, the admin macaroon's). */
export function newRootKeyId(): bigint {
  const id = randomBytes(8).readBigUInt64BE() & MAX_ROOT_KEY_ID;
  return id === 0n ? 1n : id;
}

/** Bakes a macaroon under a fresh root key of its own. */
export async function bakeUnderOwnKey(
  backend: Pick<NodePort, 'bakeMacaroon'>,
  permissions: readonly MacaroonPermission[],
  signal: AbortSignal,
): Promise<BakedMacaroon> {
  const rootKeyId = newRootKeyId();
  return { macaroon: await backend.bakeMacaroon(permissions, signal, rootKeyId), rootKeyId };
}

/** Records a macaroon baked for a node (in the caller's transaction, e.g. the node's provisioning). */
export async function recordMacaroon(
  tx: Kysely<Schema>,
  nodeId: string,
  kind: NodeMacaroonKind,
  permissions: readonly MacaroonPermission[],
  baked: BakedMacaroon,
): Promise<void> {
  await new HostedNodeMacaroonsRepository(tx).insert({
    nodeId,
    rootKeyId: baked.rootKeyId,
    kind,
    permissions: permissions.map((p) => ({ entity: p.entity, action: p.action })),
  });
}

/**
 * Parses a `rootKeyId` from a path: decimal digits. 0 is refused (400: the LSP's own key);
 * `undefined` for one that no macaroon of ours can have (above 2^63 - 1).
 */
export function parseRootKeyId(value: string): bigint | undefined {
  if (!/^[0-9]{1,20}$/.test(value)) throw invalidInput('rootKeyId', 'must be a decimal integer');
  const id = BigInt(value);
  if (id === 0n)
    throw invalidInput('rootKeyId', "0 is the root key of the LSP's admin macaroon: it cannot be revoked");
  return id <= MAX_ROOT_KEY_ID ? id : undefined;
}

/** The root keys of a node's customer and read-only macaroons (null once revoked). */
export interface NodeMacaroonKeys {
  /** `0n` for a node created before macaroons had keys of their own (not revocable). */
  readonly customer: bigint | null;
  readonly readOnly: bigint | null;
}

/** A tenant's macaroons of its nodes: bake, list, revoke. */
export class NodeMacaroons {
  readonly #nodes: HostedNodesRepository;
  readonly #macaroons: HostedNodeMacaroonsRepository;
  readonly #database: Database;
  readonly #backend: (record: HostedNodeRecord) => Pick<NodePort, 'bakeMacaroon' | 'deleteMacaroonId'>;

  constructor(deps: {
    database: Database;
    /** The LSP's admin connection to a node. */
    backend: (record: HostedNodeRecord) => Pick<NodePort, 'bakeMacaroon' | 'deleteMacaroonId'>;
  }) {
    this.#database = deps.database;
    this.#nodes = new HostedNodesRepository(deps.database.db);
    this.#macaroons = new HostedNodeMacaroonsRepository(deps.database.db);
    this.#backend = deps.backend;
  }

  /** Bakes another macaroon for a running node, within the customer's permissions, under its own root key. */
  async bake(
    tenantId: string,
    nodeId: string,
    permissions: readonly MacaroonPermission[],
  ): Promise<BakedMacaroon> {
    checkRequestedPermissions(permissions);
    const node = await this.#running(tenantId, nodeId);
    const baked = await bakeUnderOwnKey(this.#backend(node), permissions, AbortSignal.timeout(15_000));
    await recordMacaroon(this.#database.db, nodeId, 'extra', permissions, baked);
    return baked;
  }

  /** The node's macaroons, oldest first (what each grants, never the macaroon). */
  async list(tenantId: string, nodeId: string): Promise<NodeMacaroonRecord[]> {
    await this.#owned(tenantId, nodeId);
    return this.#macaroons.ofNode(nodeId);
  }

  /**
   * Revokes one macaroon of a running node: LND deletes its root key (so it and nothing else is
   * refused from then on), then it is recorded revoked. Revoking a revoked one answers it as it
   * is. 404 for a root key that is not one of this node's customer macaroons.
   */
  async revoke(tenantId: string, nodeId: string, rootKeyId: string): Promise<NodeMacaroonRecord> {
    const id = parseRootKeyId(rootKeyId);
    const node = await this.#owned(tenantId, nodeId);
    const known = id === undefined ? undefined : await this.#macaroons.get(nodeId, id);
    if (!known || id === undefined)
      throw new LspError(ErrorCode.NotFound, `node ${nodeId} has no macaroon with rootKeyId ${rootKeyId}`);
    if (known.revokedAt) return known;
    if (node.state !== 'running')
      throw new LspError(ErrorCode.Conflict, `the node is ${node.state}: start it to revoke a macaroon`, {
        field: 'state',
      });
    // Deleted in LND first: a failure leaves it usable and unrevoked here, and a retry deletes
    // nothing more (LND answers `deleted: false`) before recording it.
    await this.#backend(node).deleteMacaroonId(id, AbortSignal.timeout(15_000));
    const revoked = await this.#macaroons.markRevoked(nodeId, id);
    if (!revoked) throw new Error(`macaroon ${nodeId}/${id} vanished`);
    return revoked;
  }

  /** The root keys of a node's customer and read-only macaroons, for its view. */
  async keysOf(nodeId: string): Promise<NodeMacaroonKeys> {
    const all = await this.#macaroons.ofNode(nodeId);
    const key = (kind: NodeMacaroonKind): bigint | null => {
      const m = all.find((x) => x.kind === kind);
      if (!m) return 0n;
      return m.revokedAt ? null : m.rootKeyId;
    };
    return { customer: key('customer'), readOnly: key('read_only') };
  }

  async #owned(tenantId: string, nodeId: string): Promise<HostedNodeRecord> {
    const node = await this.#nodes.getOwned(tenantId, nodeId);
    if (!node || node.state === 'deleted') throw new LspError(ErrorCode.NotFound, `no node ${nodeId}`);
    return node;
  }

  async #running(tenantId: string, nodeId: string): Promise<HostedNodeRecord> {
    const node = await this.#owned(tenantId, nodeId);
    if (node.state !== 'running')
      throw new LspError(ErrorCode.Conflict, `the node is ${node.state}`, { field: 'state' });
    return node;
  }
}
