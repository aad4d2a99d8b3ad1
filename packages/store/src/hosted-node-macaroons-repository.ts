/**
 * The customer macaroons of hosted nodes (0018): each under a root key of its own, so one can be
 * revoked alone. What was granted and when, never the macaroon itself.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Schema } from './schema.ts';
import type { HostedNodeMacaroonsTable, NodeMacaroonKind } from './tables/hosting.ts';

/** One macaroon of a node. */
export interface NodeMacaroonRecord {
  readonly nodeId: string;
  readonly rootKeyId: bigint;
  readonly kind: NodeMacaroonKind;
  readonly permissions: readonly { readonly entity: string; readonly action: string }[];
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

/** Reads and writes the record of macaroons. Pass a transaction to combine writes. */
export class HostedNodeMacaroonsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Records a macaroon baked under `rootKeyId`. */
  async insert(m: Pick<NodeMacaroonRecord, 'nodeId' | 'rootKeyId' | 'kind' | 'permissions'>): Promise<void> {
    await this.#db
      .insertInto('hosted_node_macaroons')
      .values({
        node_id: m.nodeId,
        root_key_id: m.rootKeyId,
        kind: m.kind,
        permissions: JSON.stringify(m.permissions),
      })
      .execute();
  }

  /** One macaroon of a node. */
  async get(nodeId: string, rootKeyId: bigint): Promise<NodeMacaroonRecord | undefined> {
    const r = await this.#db
      .selectFrom('hosted_node_macaroons')
      .selectAll()
      .where('node_id', '=', nodeId)
      .where('root_key_id', '=', rootKeyId)
      .executeTakeFirst();
    return r && toRecord(r);
  }

  /** A node's macaroons, oldest first (at creation: the customer one, then the read-only one). */
  async ofNode(nodeId: string): Promise<NodeMacaroonRecord[]> {
    const rows = await this.#db
      .selectFrom('hosted_node_macaroons')
      .selectAll()
      .where('node_id', '=', nodeId)
      .orderBy('created_at')
      // Baked together at creation: the customer macaroon first, then the read-only one.
      .orderBy(sql`case kind when 'customer' then 0 when 'read_only' then 1 else 2 end`)
      .orderBy('root_key_id')
      .execute();
    return rows.map(toRecord);
  }

  /** Marks a macaroon revoked (once); answers it as it is now. */
  async markRevoked(nodeId: string, rootKeyId: bigint): Promise<NodeMacaroonRecord | undefined> {
    await this.#db
      .updateTable('hosted_node_macaroons')
      .set({ revoked_at: sql<Date>`now()` })
      .where('node_id', '=', nodeId)
      .where('root_key_id', '=', rootKeyId)
      .where('revoked_at', 'is', null)
      .execute();
    return this.get(nodeId, rootKeyId);
  }
}

function toRecord(r: Selectable<HostedNodeMacaroonsTable>): NodeMacaroonRecord {
  return {
    nodeId: r.node_id,
    rootKeyId: BigInt(r.root_key_id),
    kind: r.kind,
    permissions: r.permissions as NodeMacaroonRecord['permissions'],
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}
