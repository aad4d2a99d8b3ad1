/**
 * A local HTTPS webhook receiver for stories (a platform's endpoint, a wallet vendor's push
 * server): it records every POST exactly as received and answers the status the story sets.
 * Its certificate is self-signed; the LSP is told to trust it (`webhooks.caCertPath`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from './tls.ts';

/** One request the receiver got. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | undefined>;
  /** The body exactly as received. */
  readonly body: string;
  readonly at: number;
  /** The status it was answered. */
  readonly answered: number;
  /** The sender's port of the connection it came on (which process sent it: `tcpPortsTo`). */
  readonly remotePort: number;
}

/** A running receiver. */
export interface WebhookReceiver {
  /** `https://127.0.0.1:<port>`. */
  readonly base: string;
  readonly port: number;
  /** The PEM file of its certificate, for the LSP's `webhooks.caCertPath`. */
  readonly certPath: string;
  /** Every request so far, in arrival order. */
  readonly received: ReceivedRequest[];
  /** The status answered from now on (200 at first). */
  answer(status: number): void;
  /**
   * Holds the requests arriving from now on unanswered (a receiver slow to answer), until
   * {@link release}; a held request is in {@link received} once answered.
   */
  hold(): void;
  /** Answers the held requests (with the status set now) in arrival order, and holds no more. */
  release(): void;
  /** How many requests are held now. */
  held(): number;
  close(): Promise<void>;
}

/** Starts a receiver on a free port of 127.0.0.1. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const dir = mkdtempSync(join(tmpdir(), 'blgv-receiver-'));
  const cert = selfSignedCertificate(dir);
  const received: ReceivedRequest[] = [];
  let status = 200;
  let holding = false;
  const held: (() => void)[] = [];
  const server = createServer({ cert: cert.cert, key: readFileSync(cert.keyPath) }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    const respond = () => {
      const answered = status;
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers as Record<string, string | undefined>,
        body,
        at: Date.now(),
        answered,
        remotePort: req.socket.remotePort ?? 0,
      });
      res.writeHead(answered).end(answered === 200 ? 'ok' : 'unavailable');
    };
    req.on('end', () => {
      if (holding) held.push(respond);
      else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the receiver has no address');
  return {
    base: `https://127.0.0.1:${address.port}`,
    port: address.port,
    certPath: cert.certPath,
    received,
    answer: (s) => {
      status = s;
    },
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const respond of held.splice(0)) respond();
    },
    held: () => held.length,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
