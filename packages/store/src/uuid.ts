/**
 * UUID shape check: ids arrive from outside as any string, and Postgres rejects a non-UUID in
 * a `uuid` column with an error; checking first turns that into "not found".
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `id` has the shape of a UUID. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
