/**
 * Telling a database that cannot be reached from a query that failed: the first is a passing
 * condition a caller answers with `database_unavailable` (HTTP 503) or retries; the second is an
 * answer (a constraint, a bug).
 */

/**
 * SQLSTATEs of a server that is not there to answer: class 08 (connection exception), an
 * administrator's or a crash's shutdown, a server starting up or in recovery, no connection slot.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Node's socket errors of a connection that could not be made or was cut. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** What node-postgres says of a connection it lost or could not get. */
const CLIENT_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /is not queryable$/,
];

/**
 * True when `err` (or an error it was caused by) says the database could not be reached or the
 * connection was lost: the query may or may not have run, and asking again later may succeed.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_STATES.has(code))) return true;
    if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
    if (typeof message === 'string' && CLIENT_MESSAGES.some((m) => m.test(message))) return true;
    e = cause;
  }
  return false;
}

/**
 * SQLSTATEs of a database that answered but did not do the work in time, or refused it for
 * colliding with other work: a statement cancelled at `statement_timeout` (57014), a
 * transaction ended at `idle_in_transaction_session_timeout` (25P03), a lock not available
 * (55P03), a serialization failure (40001) or a deadlock (40P01). Nothing of the transaction
 * was kept; the same request later may succeed.
 */
const BUSY_STATES = new Set(['57014', '25P03', '55P03', '40001', '40P01']);

/**
 * True when `err` (or an error it was caused by) says the database gave up on the work (a
 * timeout, a collision with other work): its transaction was rolled back, and a caller answers
 * `database_busy` (HTTP 503) for the client to retry.
 */
export function isDatabaseBusy(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && BUSY_STATES.has(code)) return true;
    e = cause;
  }
  return false;
}
