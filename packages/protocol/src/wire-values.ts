/**
 * The values REST and LSPS shapes are built from: amounts in sat and msat, public keys,
 * host:port addresses and timestamps.
 */
import { Type } from '@sinclair/typebox';

/** A satoshi amount on the wire. */
export const SatAmount = (description: string, minimum = 0) =>
  Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER, description: `${description} (sat)` });

export const Pubkey = Type.String({
  pattern: '^0[23][0-9a-fA-F]{64}$',
  description: 'node public key, 33 bytes hex',
});
export const HostPort = Type.String({
  pattern: '^[A-Za-z0-9.\\-]+:[0-9]{1,5}$|^\\[[0-9a-fA-F:]+\\]:[0-9]{1,5}$',
  maxLength: 260,
  description: 'host:port',
});
export const Timestamp = Type.String({ format: 'date-time' });

/** An msat amount on the wire: a decimal string, so it never passes through a float. */
export const MsatString = (description: string) =>
  Type.String({ pattern: '^[0-9]+$', description: `${description}, msat` });
export const SatString = (description: string) =>
  Type.String({ pattern: '^[0-9]+$', description: `${description}, sat` });
