/**
 * The LSP server as a process of its own, as an operator runs it (`blgv-lsp start`, or another
 * entry script such as the stories' fault server), on a test network's node and a Postgres
 * database. Stories kill it with SIGKILL and start another on the same database; benchmarks
 * read its memory and open files from `/proc/<pid>`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { LSPClient } from '@blgv/lsp-client';
import { type LndNode, waitFor } from '@blgv/regtest';
import { CLI, lspProcessEnv } from './lsp-process.ts';

/** How to start one server process. */
export interface ServerProcessOptions {
  readonly node: LndNode;
  readonly databaseUrl: string;
  readonly secretsKey: string;
  /** Extra environment (e.g. `BLGV_CONFIG`, `BLGV_REPLICA`). */
  readonly env?: Record<string, string>;
  /**
   * A script run instead of `blgv-lsp start` (configured from the same environment); it prints
   * `READY {"url":…,"keyId":…,"secret":…}` once listening.
   */
  readonly script?: string;
  /** The `fetch` its clients use (e.g. one trusting the server's TLS certificate). */
  readonly fetch?: typeof fetch;
}

/** A running server process. */
export interface ServerProcess {
  readonly proc: ChildProcess;
  readonly url: string;
  /** The admin key the first server on a database printed (absent on later starts). */
  readonly bootstrapKey: { readonly keyId: string; readonly secret: string } | undefined;
  /** Everything it printed so far. */
  output(): string;
  /** A client of this process signed with `key`. */
  client(key: { readonly keyId: string; readonly secret: string }): LSPClient;
  /** SIGKILL, and waits until it is gone. */
  kill(): Promise<void>;
}

/** Starts a server process and waits until it listens. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const proc = spawn(process.execPath, options.script ? [options.script] : [CLI, 'start'], {
    env: lspProcessEnv(options.node, {
      databaseUrl: options.databaseUrl,
      secretsKey: options.secretsKey,
      ...(options.env ? { extra: options.env } : {}),
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const started = await waitFor(
    () => {
      if (proc.exitCode !== null) throw new Error(`the server exited:\n${out}`);
      const ready = /READY (\{.*\})/.exec(out)?.[1];
      if (ready) return JSON.parse(ready) as { url: string; keyId?: string; secret?: string };
      if (!out.includes('Press Ctrl-C to stop.')) return undefined;
      return {
        url: /API:\s+(https?:\/\/\S+)/.exec(out)?.[1] ?? '',
        keyId: /key id:\s+(key_\S+)/.exec(out)?.[1],
        secret: /secret:\s+(sk_\S+)/.exec(out)?.[1],
      };
    },
    { what: 'the server to listen', timeoutMs: 60_000 },
  );
  const { url, keyId, secret } = started;
  return {
    proc,
    url,
    bootstrapKey: keyId && secret ? { keyId, secret } : undefined,
    output: () => out,
    client: (key) =>
      new LSPClient({
        endpoint: url,
        apiKey: key.keyId,
        apiSecret: key.secret,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGKILL');
        await gone;
      }
    },
  };
}
