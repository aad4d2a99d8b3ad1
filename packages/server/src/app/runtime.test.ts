import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightningBackend } from '@blgv/core';
import { ConfigError, loadConfig } from '../config/config.ts';
import type { EmbeddedNetwork } from '../embedded-network.ts';
import { createLogger } from '../logger.ts';
import { startLsp } from './runtime.ts';

const log = createLogger('silent', false);

test('with no LND configured and no embedded network, startLsp says what to configure', async () => {
  await assert.rejects(
    startLsp(loadConfig({ BLGV_PORT: '0' }), log),
    (err) => err instanceof ConfigError && /no LND configured: set LND_RPC_ADDRESS/.test(err.message),
  );
});

test('the embedded network starts with no LND configured and stops when the LSP fails to start', async () => {
  const steps: string[] = [];
  // Only `getInfo` is reached: the LSP's node is down, so the start fails there.
  const lnd = {
    getInfo: async () => {
      steps.push('getInfo');
      throw new Error('the node is down');
    },
  } as unknown as LightningBackend;
  const node = { pubkey: '02'.padEnd(66, '0'), host: '127.0.0.1:9735', rpcPort: 10009, dir: '/nowhere' };
  const network: EmbeddedNetwork = {
    dir: '/nowhere',
    btcd: {
      chain: { kind: 'btcd', network: 'regtest', rpcHost: '', rpcUser: '', rpcPass: '', rpcCertPath: '' },
      rpcHost: '',
    },
    lsp: { ...node, lnd },
    client: node,
    stop: async () => {
      steps.push('stop');
    },
  };
  await assert.rejects(
    startLsp(loadConfig({ BLGV_PORT: '0' }), log, {
      embeddedNetwork: async (l) => {
        assert.equal(typeof l.info, 'function', 'the network logs through the LSP logger');
        steps.push('start');
        return network;
      },
    }),
    /the node is down/,
  );
  assert.deepEqual(steps, ['start', 'getInfo', 'stop']);
});
