/**
 * `NodeWallets` on LND: GenSeed + InitWallet (stateless: the admin macaroon is returned once and
 * never written to disk), UnlockWallet, and the State service, over TLS without a macaroon (these
 * services run before any macaroon exists).
 */
import { join } from 'node:path';
import type { CreatedWallet, NodeAccess, NodeWalletState, NodeWallets } from '@blgv/core';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { StateClient } from '../generated/types/lnrpc/State.ts';
import type { WalletUnlockerClient } from '../generated/types/lnrpc/WalletUnlocker.ts';
import type { ProtoGrpcType as StateProto } from '../generated/types/stateservice.ts';
import type { ProtoGrpcType as UnlockerProto } from '../generated/types/walletunlocker.ts';
import { unary } from './call.ts';
import { LND_CHANNEL_OPTIONS, protoDir } from './connection.ts';

type Loaded = UnlockerProto & StateProto;
let loaded: Loaded | undefined;

function loadProtos(): Loaded {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(['walletunlocker.proto', 'stateservice.proto'], {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [protoDir, join(protoDir, '..')],
  });
  loaded = grpc.loadPackageDefinition(definition) as unknown as Loaded;
  return loaded;
}

function withClients<T>(
  access: NodeAccess,
  use: (clients: { unlocker: WalletUnlockerClient; state: StateClient }) => Promise<T>,
): Promise<T> {
  const pkg = loadProtos();
  const creds = grpc.credentials.createSsl(Buffer.from(access.tlsCert));
  const unlocker = new pkg.lnrpc.WalletUnlocker(access.rpcAddress, creds, LND_CHANNEL_OPTIONS);
  const state = new pkg.lnrpc.State(access.rpcAddress, creds, {
    ...LND_CHANNEL_OPTIONS,
    channelOverride: unlocker.getChannel(),
  } as grpc.ClientOptions);
  return use({ unlocker, state }).finally(() => unlocker.close());
}

const STATES: Readonly<Record<string, NodeWalletState>> = {
  NON_EXISTING: 'absent',
  LOCKED: 'locked',
  UNLOCKED: 'unlocked',
  // Unlocked, its RPC up, the rest of lnd still starting.
  RPC_ACTIVE: 'unlocked',
  SERVER_ACTIVE: 'active',
  WAITING_TO_START: 'starting',
};

/** LND's wallet services for any node, reached by its access (no macaroon). */
export const lndNodeWallets: NodeWallets = {
  state(access, signal) {
    return withClients(access, async ({ state }) => {
      const r = await unary('GetState', state.GetState.bind(state), {}, signal);
      return STATES[String(r.state)] ?? 'starting';
    });
  },

  create(access, password, signal): Promise<CreatedWallet> {
    return withClients(access, async ({ unlocker }) => {
      const seed = await unary('GenSeed', unlocker.GenSeed.bind(unlocker), {}, signal);
      const r = await unary(
        'InitWallet',
        unlocker.InitWallet.bind(unlocker),
        {
          wallet_password: Buffer.from(password),
          cipher_seed_mnemonic: seed.cipher_seed_mnemonic,
          stateless_init: true,
        },
        signal,
      );
      return {
        mnemonic: [...seed.cipher_seed_mnemonic],
        adminMacaroon: Buffer.from(r.admin_macaroon).toString('hex'),
      };
    });
  },

  unlock(access, password, signal) {
    return withClients(access, async ({ unlocker }) => {
      await unary(
        'UnlockWallet',
        unlocker.UnlockWallet.bind(unlocker),
        { wallet_password: Buffer.from(password), stateless_init: true },
        signal,
      );
    });
  },
};
