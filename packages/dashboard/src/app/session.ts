/**
 * Signing in: the key id and secret stay in this tab (memory and `sessionStorage`, gone when the
 * tab closes) and sign each request here, with the SDK's client and the shared signing code; the
 * secret itself is never sent. Operator or tenant is the key's scope: an admin key may read the
 * operator's figures, a tenant key is refused them (403).
 */
import { LSPClient, LspApiError } from '@blgv/lsp-client';

/** The key a user signed in with. */
export interface Credentials {
  readonly keyId: string;
  readonly secret: string;
}

/** Who is signed in, and a client signing as them. */
export interface Session {
  readonly credentials: Credentials;
  readonly client: LSPClient;
  readonly role: 'operator' | 'tenant';
  readonly tenantId: string;
}

const STORAGE_KEY = 'blgv-dashboard-key';

/** A client of this origin's API signing with `credentials`. */
export function clientFor(credentials: Credentials): LSPClient {
  return new LSPClient({
    endpoint: globalThis.location.origin,
    apiKey: credentials.keyId,
    apiSecret: credentials.secret,
    timeoutMs: 30_000,
  });
}

/**
 * Checks the key against the API (a wrong id or secret is the API's 401, thrown as
 * {@link LspApiError}) and finds its role.
 */
export async function signIn(credentials: Credentials): Promise<Session> {
  const client = clientFor(credentials);
  const account = await client.getBalance();
  let role: Session['role'] = 'operator';
  try {
    await client.admin.figures('24h');
  } catch (err) {
    if (!(err instanceof LspApiError && err.status === 403)) throw err;
    role = 'tenant';
  }
  return { credentials, client, role, tenantId: account.tenantId };
}

/** The key kept in this tab, if any. */
export function storedCredentials(): Credentials | undefined {
  try {
    const raw = globalThis.sessionStorage?.getItem(STORAGE_KEY);
    if (!raw) return undefined;
    const parsed = JSON.parse(raw) as Partial<Credentials>;
    return typeof parsed.keyId === 'string' && typeof parsed.secret === 'string'
      ? { keyId: parsed.keyId, secret: parsed.secret }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the key for this tab (reloads stay signed in; closing the tab forgets it). */
export function keep(credentials: Credentials): void {
  try {
    globalThis.sessionStorage?.setItem(STORAGE_KEY, JSON.stringify(credentials));
  } catch {
    // Storage refused (private mode): the key lives in memory only.
  }
}

/** Forgets the key. */
export function forget(): void {
  try {
    globalThis.sessionStorage?.removeItem(STORAGE_KEY);
  } catch {
    // Nothing kept.
  }
}

/** An error as the page shows it: the API's message and code, or what went wrong. */
export function describeError(err: unknown): string {
  if (err instanceof LspApiError) {
    return err.status === 0 ? err.message : `${err.message} (HTTP ${err.status}, ${err.code})`;
  }
  return err instanceof Error ? err.message : String(err);
}
