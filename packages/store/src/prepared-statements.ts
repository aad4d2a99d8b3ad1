/**
 * Named prepared statements for the few statements a busy server runs thousands of times a
 * second (a signed request's nonce insert and channel read): Postgres parses and plans such a
 * statement once per connection instead of on every run.
 *
 * A repository writes the statement's text once, as a constant, through {@link prepared}; a
 * Postgres connection of {@link preparingConnections} then sends that exact text as a named
 * statement (pg prepares it on the connection's first use and reuses it after). Any other text
 * goes as before, unnamed. The texts are fixed (parameters as arrays, `= any($1)`), so each
 * connection holds one prepared statement per registered text, never more. PGlite runs them as
 * any other statement.
 *
 * A registered statement names its columns: a prepared `select *` fails once a migration adds
 * a column ("cached plan must not change result type").
 */
import type pg from 'pg';

/** Registered texts and their statement names, and the other way round. */
const names = new Map<string, string>();
const texts = new Map<string, string>();

/**
 * Registers `text` to run as the named prepared statement `name` on Postgres connections, and
 * returns it (the constant a repository passes to Kysely's `CompiledQuery.raw`).
 */
export function prepared(name: string, text: string): string {
  const known = names.get(text);
  if (known !== undefined && known !== name)
    throw new Error(`statement ${name} is already prepared as ${known}`);
  if ((texts.get(name) ?? text) !== text) throw new Error(`two statements named ${name}`);
  names.set(text, name);
  texts.set(name, text);
  return text;
}

type Query = (...args: unknown[]) => unknown;

/**
 * Makes a pool's connections send registered texts as named prepared statements (called once
 * per pool, before its first connection).
 */
export function preparingConnections(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as Query;
    (client as unknown as { query: Query }).query = (...args: unknown[]) => {
      const [text, values] = args;
      const name = typeof text === 'string' && args.length <= 2 ? names.get(text) : undefined;
      return name === undefined ? query(...args) : query({ name, text, values });
    };
  });
}
