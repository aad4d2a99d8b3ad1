/**
 * Tenants: create, find and list the LSP's customers.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, LspError } from '@blgv/core';
import type { Kysely } from 'kysely';
import type { Schema } from './schema.ts';
import { isUuid } from './uuid.ts';

/** A tenant as the rest of the system sees it. */
export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

/** True for Postgres's unique-violation error (both drivers report SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

/** Reads and writes tenants. */
export class TenantsRepository {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Creates a tenant; a taken name is a `conflict`. */
  async create(name: string): Promise<Tenant> {
    try {
      const row = await this.#db
        .insertInto('tenants')
        .values({ id: randomUUID(), name })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { id: row.id, name: row.name, createdAt: row.created_at };
    } catch (err) {
      if (isUniqueViolation(err))
        throw new LspError(ErrorCode.Conflict, `a tenant named ${JSON.stringify(name)} exists`);
      throw err;
    }
  }

  /** The tenant with this id, if any. */
  async get(id: string): Promise<Tenant | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.#db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return row && { id: row.id, name: row.name, createdAt: row.created_at };
  }

  /** All tenants, oldest first. */
  async list(): Promise<Tenant[]> {
    const rows = await this.#db
      .selectFrom('tenants')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }
}
