/**
 * Loads the pinned lnd protos and opens authenticated gRPC clients to one LND node.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AutopilotProto } from '../generated/types/autopilot.ts';
import type { AutopilotClient } from '../generated/types/autopilotrpc/Autopilot.ts';
import type { ProtoGrpcType as InvoicesProto } from '../generated/types/invoices.ts';
import type { InvoicesClient } from '../generated/types/invoicesrpc/Invoices.ts';
import type { ProtoGrpcType as LightningProto } from '../generated/types/lightning.ts';
import type { LightningClient } from '../generated/types/lnrpc/Lightning.ts';
import type { ProtoGrpcType as PeersProto } from '../generated/types/peers.ts';
import type { PeersClient } from '../generated/types/peersrpc/Peers.ts';
import type { ProtoGrpcType as RouterProto } from '../generated/types/router.ts';
import type { RouterClient } from '../generated/types/routerrpc/Router.ts';
import type { ProtoGrpcType as WalletKitProto } from '../generated/types/walletkit.ts';
import type { WalletKitClient } from '../generated/types/walletrpc/WalletKit.ts';
import type { ProtoGrpcType as WatchtowerProto } from '../generated/types/watchtower.ts';
import type { WatchtowerClient } from '../generated/types/watchtowerrpc/Watchtower.ts';
import type { ProtoGrpcType as WtClientProto } from '../generated/types/wtclient.ts';
import type { WatchtowerClientClient } from '../generated/types/wtclientrpc/WatchtowerClient.ts';

/** How to reach one LND node. */
export interface LndConnectionConfig {
  /** gRPC `host:port`. */
  readonly rpcAddress: string;
  /** PEM of LND's `tls.cert`. */
  readonly tlsCert: Buffer;
  /** The macaroon bytes (e.g. `admin.macaroon`). */
  readonly macaroon: Buffer;
}

/**
 * Reads a {@link LndConnectionConfig} from an lnd directory layout's files. An empty file (one lnd
 * has created but not yet written) is refused: a client holding no macaroon would fail every
 * call with "empty macaroon data".
 */
export function lndConnectionFromFiles(
  rpcAddress: string,
  tlsCertPath: string,
  macaroonPath: string,
): LndConnectionConfig {
  const tlsCert = readFileSync(tlsCertPath);
  const macaroon = readFileSync(macaroonPath);
  for (const [path, bytes] of [
    [tlsCertPath, tlsCert],
    [macaroonPath, macaroon],
  ] as const) {
    if (bytes.length === 0) throw new Error(`${path} is empty`);
  }
  return { rpcAddress, tlsCert, macaroon };
}

/** The gRPC clients of one node. */
export interface LndClients {
  readonly lightning: LightningClient;
  readonly router: RouterClient;
  readonly invoices: InvoicesClient;
  readonly walletKit: WalletKitClient;
  /** autopilotrpc: only on nodes built with it and started with autopilot. */
  readonly autopilot: AutopilotClient;
  /** peersrpc: the node's own announcement (on nodes built with it). */
  readonly peers: PeersClient;
  /** watchtowerrpc: the node's own tower (on nodes built with it). */
  readonly watchtower: WatchtowerClient;
  /** wtclientrpc: the node's tower client (on nodes built with it). */
  readonly wtclient: WatchtowerClientClient;
  close(): void;
}

/** Where the pinned protos are (generated at setup). */
export const protoDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'generated', 'proto');
const protoFiles = [
  'lightning.proto',
  'routerrpc/router.proto',
  'invoicesrpc/invoices.proto',
  'walletrpc/walletkit.proto',
  'autopilotrpc/autopilot.proto',
  'peersrpc/peers.proto',
  'watchtowerrpc/watchtower.proto',
  'wtclientrpc/wtclient.proto',
];

type Loaded = LightningProto &
  RouterProto &
  InvoicesProto &
  WalletKitProto &
  AutopilotProto &
  PeersProto &
  WatchtowerProto &
  WtClientProto;
let loaded: Loaded | undefined;

function loadProtos(): Loaded {
  if (loaded) return loaded;
  let definition: protoLoader.PackageDefinition;
  try {
    definition = protoLoader.loadSync(protoFiles, {
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
      includeDirs: [protoDir],
    });
  } catch (err) {
    throw new Error(`cannot load lnd protos from ${protoDir}; run \`npm run setup\` first`, { cause: err });
  }
  loaded = grpc.loadPackageDefinition(definition) as unknown as Loaded;
  return loaded;
}

/** gRPC channel options for every connection to an LND. */
export const LND_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  // LND's certificate names `localhost`; checking against it avoids SNI with an IP address.
  'grpc.ssl_target_name_override': 'localhost',
  'grpc.default_authority': 'localhost',
  'grpc.keepalive_time_ms': 30_000,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

/** Opens gRPC clients that send the macaroon with every call over TLS. */
export function connectLnd(config: LndConnectionConfig): LndClients {
  const pkg = loadProtos();
  const macaroonHex = config.macaroon.toString('hex');
  const callCreds = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
    const md = new grpc.Metadata();
    md.add('macaroon', macaroonHex);
    callback(null, md);
  });
  const creds = grpc.credentials.combineChannelCredentials(
    grpc.credentials.createSsl(config.tlsCert),
    callCreds,
  );
  const options = LND_CHANNEL_OPTIONS;
  const lightning = new pkg.lnrpc.Lightning(config.rpcAddress, creds, options);
  // Sub-servers share the first client's channel, so one connection carries every call.
  const shared = { ...options, channelOverride: lightning.getChannel() } as grpc.ClientOptions;
  const router = new pkg.routerrpc.Router(config.rpcAddress, creds, shared);
  const invoices = new pkg.invoicesrpc.Invoices(config.rpcAddress, creds, shared);
  const walletKit = new pkg.walletrpc.WalletKit(config.rpcAddress, creds, shared);
  const autopilot = new pkg.autopilotrpc.Autopilot(config.rpcAddress, creds, shared);
  const peers = new pkg.peersrpc.Peers(config.rpcAddress, creds, shared);
  const watchtower = new pkg.watchtowerrpc.Watchtower(config.rpcAddress, creds, shared);
  const wtclient = new pkg.wtclientrpc.WatchtowerClient(config.rpcAddress, creds, shared);
  return {
    lightning,
    router,
    invoices,
    walletKit,
    autopilot,
    peers,
    watchtower,
    wtclient,
    close() {
      lightning.close();
    },
  };
}
