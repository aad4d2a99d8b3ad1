/**
 * Text no Postgres `text` column takes: the NUL character (U+0000). JSON (`\u0000`) and
 * percent-encoding (`%00`) can both carry it, and a value holding one would pass its schema and
 * then fail where it is stored, as a 500. {@link refuseNulCharacters} refuses such a request
 * before its handler runs: a 400 naming where the character is, nothing read or written.
 */
import { ErrorCode, LspError } from '@blgv/core';
import type { FastifyInstance } from 'fastify';

/** Where in `value` a string holding a NUL character is (`<at>/<key>/…`), if anywhere. */
export function nulCharacterAt(value: unknown, at: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? at : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = nulCharacterAt(key, `${at}/${key}`) ?? nulCharacterAt(inner, `${at}/${key}`);
    if (found) return found;
  }
  return undefined;
}

/**
 * Refuses (400 `invalid_input`) a request whose path, query string or body holds a NUL
 * character: once its signature and schema are checked (as every 400, after the 401 and 403)
 * and before any other pre-handler (limits) or the handler.
 */
export function refuseNulCharacters(app: FastifyInstance): void {
  app.addHook('preHandler', async (req) => {
    const where =
      nulCharacterAt(req.params, 'params') ??
      nulCharacterAt(req.query, 'querystring') ??
      nulCharacterAt(req.body, 'body');
    if (where)
      throw new LspError(ErrorCode.InvalidInput, `${where} must not contain the NUL character (U+0000)`, {
        field: where,
      });
  });
}
