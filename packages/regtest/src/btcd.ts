/**
 * btcd in regtest and a small JSON-RPC client for it.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import {
  type ChainBackend,
  fileWritten,
  freePort,
  lightningBinary,
  logTail,
  type ManagedProcess,
  startProcess,
  startWithRetries,
  WaitAbandoned,
  waitFor,
} from '@blgv/node-runner';

/** A running btcd. */
export interface Btcd {
  readonly rpcHost: string;
  readonly p2pHost: string;
  readonly rpcUser: string;
  readonly rpcPass: string;
  readonly rpcCertPath: string;
  /** This btcd as the chain backend of an lnd. */
  readonly chain: ChainBackend;
  readonly process: ManagedProcess;
  /** Calls a JSON-RPC method. */
  rpc<T>(method: string, params?: readonly unknown[]): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts btcd in `dir`, paying block rewards to `miningAddress` (`env` added to its
 * environment). A btcd that exits while
 * starting is started again on fresh ports in an emptied `dir`; its log's last lines are printed
 * and end the error.
 */
export function startBtcd(
  dir: string,
  miningAddress: string,
  env?: Readonly<Record<string, string>>,
): Promise<Btcd> {
  return startWithRetries('btcd', dir, () => startBtcdOnce(dir, miningAddress, env));
}

async function startBtcdOnce(
  dir: string,
  miningAddress: string,
  env: Readonly<Record<string, string>> | undefined,
): Promise<Btcd> {
  mkdirSync(dir, { recursive: true });
  const [rpcPort, p2pPort] = [await freePort(), await freePort()];
  const rpcUser = 'blgv';
  const rpcPass = 'blgv';
  const rpcCertPath = join(dir, 'rpc.cert');
  const proc = startProcess(
    'btcd',
    lightningBinary('btcd'),
    [
      '--regtest',
      `--datadir=${join(dir, 'data')}`,
      `--logdir=${join(dir, 'logs')}`,
      `--rpcuser=${rpcUser}`,
      `--rpcpass=${rpcPass}`,
      `--rpclisten=127.0.0.1:${rpcPort}`,
      `--listen=127.0.0.1:${p2pPort}`,
      `--rpccert=${rpcCertPath}`,
      `--rpckey=${join(dir, 'rpc.key')}`,
      '--txindex',
      '--rejectnonstd',
      '--nobanning',
      // Each lnd holds 3-4 websocket clients (hosted nodes estimate fees through btcd too);
      // btcd's default of 25 would stop the 5th hosted node from syncing.
      '--rpcmaxwebsockets=1000',
      '--nostalldetect',
      '--trickleinterval=100ms',
      '--debuglevel=info',
      `--miningaddr=${miningAddress}`,
    ],
    join(dir, 'btcd.out.log'),
    env,
  );
  const rpcHost = `127.0.0.1:${rpcPort}`;
  // The certificate is read again until a call succeeds: btcd may still be writing it when it
  // first appears, and a half-read PEM kept for good would fail every call.
  let trustedCa: Buffer | undefined;
  const rpc = <T>(method: string, params: readonly unknown[] = []): Promise<T> => {
    const ca = trustedCa ?? readFileSync(rpcCertPath);
    const body = JSON.stringify({ jsonrpc: '1.0', id: 1, method, params });
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: rpcPort,
          method: 'POST',
          ca,
          servername: 'localhost',
          auth: `${rpcUser}:${rpcPass}`,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: 120_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => {
            try {
              const parsed = JSON.parse(text) as {
                result: T;
                error: { message: string; code: number } | null;
              };
              trustedCa = ca;
              if (parsed.error)
                reject(new Error(`btcd ${method}: ${parsed.error.message} (${parsed.error.code})`));
              else resolve(parsed.result);
            } catch {
              reject(new Error(`btcd ${method}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`btcd ${method} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  };
  try {
    await waitFor(
      async () => {
        if (!proc.running) {
          const log = join(dir, 'btcd.out.log');
          throw new WaitAbandoned(`btcd exited; last lines of ${log}:\n${logTail(log)}`);
        }
        if (!fileWritten(rpcCertPath)) return false;
        await rpc<number>('getblockcount');
        return true;
      },
      { what: 'btcd RPC', timeoutMs: 60_000 },
    );
  } catch (err) {
    // A btcd that never answered must not outlive the failed start (it would keep the caller's
    // process alive).
    await proc.stop(5_000);
    throw err;
  }
  return {
    rpcHost,
    p2pHost: `127.0.0.1:${p2pPort}`,
    rpcUser,
    rpcPass,
    rpcCertPath,
    chain: { kind: 'btcd', network: 'regtest', rpcHost, rpcUser, rpcPass, rpcCertPath },
    process: proc,
    rpc,
    stop: () => proc.stop(),
  };
}
