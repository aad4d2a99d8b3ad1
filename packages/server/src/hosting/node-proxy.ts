/**
 * The hosted nodes' `endpoint`: `<public URL>/nodes/<nodeId>/...` is reverse-proxied to that
 * node's LND REST API. Authentication is LND's own (the customer's macaroon in
 * `Grpc-Metadata-macaroon` passes through untouched); the LSP checks the node's TLS against the
 * certificate it recorded for that node, streams requests and responses both ways (LND's
 * streaming calls included), and only ever dials the node the path names. A node being deleted
 * answers reads (`GET`) only. A request that deletes payments (`DELETE /v1/payment`,
 * `DELETE /v1/payments`) is forwarded only once the LSP has recorded every payment the node
 * lists (`beforeErasingPayments`), so a fee is never lost to a deletion the tenant makes right
 * after paying, while the LSP's payment stream to the node is still reconnecting.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostedNodeRecord } from '@blgv/store';
import type { FastifyInstance } from 'fastify';
import { createProxyServer } from 'http-proxy-3';
import { errorMessage } from '../error-message.ts';

/** How the proxy finds a node: `undefined` for an unknown, deleted or unprovisioned one. */
export type NodeLookup = (nodeId: string) => Promise<HostedNodeRecord | undefined>;

const PREFIX = '/nodes/';

/** What the proxy does around some requests. */
export interface NodeProxyHooks {
  /** Records the node's payments; a failure refuses the deletion (503). */
  readonly beforeErasingPayments?: (node: HostedNodeRecord) => Promise<unknown>;
}

/** Requests that delete a node's payments from LND (REST). */
const ERASES_PAYMENTS = /^\/v1\/payments?(?:[/?]|$)/;

/** Installs the proxy in front of the app's routes. */
export function installNodeProxy(app: FastifyInstance, lookup: NodeLookup, hooks: NodeProxyHooks = {}): void {
  const proxy = createProxyServer({ xfwd: true, secure: true, proxyTimeout: 0 });
  proxy.on('error', (err, _req, res) => {
    const out = res as ServerResponse;
    if (!out.headersSent && typeof out.writeHead === 'function') {
      out.writeHead(502, { 'content-type': 'application/json' });
      out.end(
        JSON.stringify({
          error: { code: 'lightning_unavailable', message: `the node did not answer: ${err.message}` },
        }),
      );
    } else {
      out.destroy?.();
    }
  });
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith(PREFIX)) return;
    const rest = req.url.slice(PREFIX.length);
    const slash = rest.search(/[/?]/);
    const nodeId = slash === -1 ? rest : rest.slice(0, slash);
    const path = slash === -1 ? '/' : rest.slice(slash);
    const node = /^[a-z0-9]{1,64}$/i.test(nodeId) ? await lookup(nodeId) : undefined;
    if (!node?.restAddress || !node.tlsCert || node.state === 'deleted') {
      return reply.code(404).send({ error: { code: 'not_found', message: `no node ${nodeId}` } });
    }
    // A deleting node stays readable (its tenant watches its channels close), nothing more.
    const readOnly = node.state === 'deleting' && (req.method === 'GET' || req.method === 'HEAD');
    if (node.state !== 'running' && !readOnly) {
      return reply
        .code(503)
        .send({ error: { code: 'lightning_unavailable', message: `node ${nodeId} is ${node.state}` } });
    }
    if (req.method === 'DELETE' && ERASES_PAYMENTS.test(path) && hooks.beforeErasingPayments) {
      try {
        await hooks.beforeErasingPayments(node);
      } catch (err) {
        return reply.code(503).send({
          error: {
            code: 'lightning_unavailable',
            message: `the LSP could not record node ${nodeId}'s payments before their deletion; try again: ${errorMessage(err)}`,
          },
        });
      }
    }
    const [host, port] = splitHostPort(node.restAddress);
    reply.hijack();
    const raw: IncomingMessage = req.raw;
    raw.url = path.startsWith('/') ? path : `/${path}`;
    proxy.web(raw, reply.raw, {
      target: { protocol: 'https:', host, port, ca: node.tlsCert },
      // LND's certificate names localhost and loopback; the node is dialled on its own address.
      changeOrigin: false,
    });
  });
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
