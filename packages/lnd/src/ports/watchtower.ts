/**
 * Watchtowers: the node's own tower and its tower client.
 * The LND side of `WatchtowerPort` (`@blgv/core`): one of the ports `lndBackend` puts together.
 */
import {
  ErrorCode,
  LspError,
  type OwnTower,
  type Pubkey,
  parsePubkey,
  type TowerAddress,
  type TowerBackups,
  type WatchtowerPort,
} from '@blgv/core';
import { status } from '@grpc/grpc-js';
import { unary } from '../call.ts';
import type { LndClients } from '../connection.ts';

/**
 * True when LND says it has no such service: not built with the sub-server's tag (`unknown
 * service`: `watchtowerrpc`; lnd v0.21 builds `wtclientrpc` in whatever the tags, older ones
 * needed its tag), or the tower or its client not started (`watchtower not active`,
 * `watchtower client not active`).
 */
export function isNoTowerService(err: unknown): boolean {
  if (!(err instanceof LspError)) return false;
  const details = err.details as { grpcCode?: number; lnd?: string } | undefined;
  if (details?.grpcCode === status.UNIMPLEMENTED) return true;
  return /not active|unknown service/i.test(details?.lnd ?? err.message);
}

/** `WatchtowerPort` on LND. */
export function lndWatchtower(c: LndClients): WatchtowerPort {
  return {
    async ownTower(signal: AbortSignal): Promise<OwnTower | undefined> {
      const tower = c.watchtower;
      try {
        const res = await unary('Watchtower.GetInfo', tower.GetInfo.bind(tower), {}, signal);
        return {
          pubkey: parsePubkey(Buffer.from(res.pubkey).toString('hex')),
          listeners: res.listeners,
          uris: res.uris,
        };
      } catch (err) {
        if (isNoTowerService(err)) return undefined;
        throw err;
      }
    },

    async addTower(tower: TowerAddress, signal: AbortSignal): Promise<boolean> {
      const client = c.wtclient;
      try {
        await unary(
          'WatchtowerClient.AddTower',
          client.AddTower.bind(client),
          { pubkey: Buffer.from(tower.pubkey, 'hex'), address: tower.address },
          signal,
        );
        return true;
      } catch (err) {
        if (isNoTowerService(err)) return false;
        throw err;
      }
    },

    async towerBackups(pubkey: Pubkey, signal: AbortSignal): Promise<TowerBackups | undefined> {
      const client = c.wtclient;
      try {
        const tower = await unary(
          'WatchtowerClient.GetTowerInfo',
          client.GetTowerInfo.bind(client),
          { pubkey: Buffer.from(pubkey, 'hex'), include_sessions: true },
          signal,
        );
        let backups = 0;
        let pendingBackups = 0;
        let sessions = 0;
        for (const info of tower.session_info ?? []) {
          for (const s of info.sessions ?? []) {
            backups += s.num_backups ?? 0;
            pendingBackups += s.num_pending_backups ?? 0;
            sessions += 1;
          }
        }
        return { backups, pendingBackups, sessions };
      } catch (err) {
        if (isNoTowerService(err) || (err instanceof LspError && err.code === ErrorCode.NotFound))
          return undefined;
        throw err;
      }
    },
  };
}
