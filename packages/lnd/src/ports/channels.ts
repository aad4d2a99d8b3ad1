/**
 * Channels: listing them in every phase, opening (tests and the demo), closing, accepting, their events, backups, policies and forwards.
 * The LND side of `ChannelsPort` (`@blgv/core`): one of the ports `lndBackend` puts together.
 */
import {
  type Channel,
  type ChannelBackup,
  type ChannelBalance,
  type ChannelEvent,
  type ChannelOpenDecision,
  type ChannelOpenProposal,
  type ChannelPoint,
  type ChannelPolicyUpdate,
  type ChannelsPort,
  type CloseChannelRequest,
  type ClosedChannel,
  type ClosingChannel,
  ErrorCode,
  type ForwardingEvent,
  type ForwardingHistoryQuery,
  type Hex32,
  LspError,
  msat,
  type OpenChannelRequest,
  type OpenChannelResult,
  type PendingChannel,
  parsePubkey,
  type Scid,
  type StreamOptions,
  sat,
  scid,
} from '@blgv/core';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { ChannelAcceptRequest__Output } from '../../generated/types/lnrpc/ChannelAcceptRequest.ts';
import type { ChannelAcceptResponse } from '../../generated/types/lnrpc/ChannelAcceptResponse.ts';
import { aborted, unary } from '../call.ts';
import { closeResolutionsFromLnd } from '../close-resolutions.ts';
import type { LndClients } from '../connection.ts';
import { toLspError } from '../errors.ts';
import {
  channelEventFromLnd,
  channelFromLnd,
  channelPointFromMessage,
  channelPointMessage,
  closingChannelsFromLnd,
  openChannelFields,
  parseChannelPointString,
  pendingChannelFromLnd,
  txidFromBytes,
} from '../mappers.ts';
import { channelBackups } from '../node-calls.ts';
import { abandonChannel } from '../psbt-funding.ts';
import { keepStreaming, resilientStream, type StreamHooks } from '../streams.ts';

function proposalFromLnd(req: ChannelAcceptRequest__Output): ChannelOpenProposal {
  return {
    remotePubkey: parsePubkey(req.node_pubkey.toString('hex')),
    pendingChanId: new Uint8Array(req.pending_chan_id),
    fundingAmount: sat(req.funding_amt),
    pushAmount: msat(req.push_amt),
    wantsZeroConf: req.wants_zero_conf,
    wantsScidAlias: req.wants_scid_alias,
    private: (req.channel_flags & 1) === 0,
  };
}

/** `ChannelsPort` on LND. */
export function lndChannels(c: LndClients, hooks: StreamHooks): ChannelsPort {
  return {
    async listChannels(signal: AbortSignal): Promise<Channel[]> {
      const ln = c.lightning;
      const r = await unary('ListChannels', ln.ListChannels.bind(ln), {}, signal);
      return r.channels.map(channelFromLnd);
    },

    async pendingChannels(signal: AbortSignal): Promise<PendingChannel[]> {
      const ln = c.lightning;
      const r = await unary('PendingChannels', ln.PendingChannels.bind(ln), {}, signal);
      return r.pending_open_channels.map(pendingChannelFromLnd);
    },

    async closingChannels(signal: AbortSignal): Promise<ClosingChannel[]> {
      const ln = c.lightning;
      const r = await unary('PendingChannels', ln.PendingChannels.bind(ln), {}, signal);
      return closingChannelsFromLnd(r);
    },

    async closedChannels(signal: AbortSignal): Promise<ClosedChannel[]> {
      const ln = c.lightning;
      // LND lists a channel as closed only once its close is fully resolved; until then it is
      // among the pending channels, waiting for the close (or force close) to confirm.
      const [closed, pending] = await Promise.all([
        unary('ClosedChannels', ln.ClosedChannels.bind(ln), {}, signal),
        unary('PendingChannels', ln.PendingChannels.bind(ln), {}, signal),
      ]);
      const closing = [
        ...pending.waiting_close_channels.map((w) => w.channel),
        ...pending.pending_force_closing_channels.map((f) => f.channel),
      ].flatMap((c) =>
        c
          ? [
              {
                channelPoint: parseChannelPointString(c.channel_point),
                remotePubkey: parsePubkey(c.remote_node_pub),
                capacity: sat(c.capacity),
                closeType: 'CLOSING',
              },
            ]
          : [],
      );
      return [
        ...closed.channels.map((c) => ({
          channelPoint: parseChannelPointString(c.channel_point),
          remotePubkey: parsePubkey(c.remote_pubkey),
          capacity: sat(c.capacity),
          closeType: c.close_type,
          settledBalance: sat(c.settled_balance),
          closeHeight: c.close_height,
          resolutions: closeResolutionsFromLnd(c.resolutions),
        })),
        ...closing,
      ];
    },

    async channelBalance(signal: AbortSignal): Promise<ChannelBalance> {
      const ln = c.lightning;
      const r = await unary('ChannelBalance', ln.ChannelBalance.bind(ln), {}, signal);
      return {
        local: msat(r.local_balance?.msat ?? '0'),
        remote: msat(r.remote_balance?.msat ?? '0'),
        pendingOpenLocal: msat(r.pending_open_local_balance?.msat ?? '0'),
      };
    },

    async openChannel(request: OpenChannelRequest, signal: AbortSignal): Promise<OpenChannelResult> {
      const ln = c.lightning;
      const r = await unary(
        'OpenChannelSync',
        ln.OpenChannelSync.bind(ln),
        {
          ...openChannelFields(request),
          ...(request.satPerVbyte !== undefined ? { sat_per_vbyte: request.satPerVbyte.toString() } : {}),
          ...(request.targetConf !== undefined ? { target_conf: request.targetConf } : {}),
        },
        signal,
      );
      return { channelPoint: channelPointFromMessage(r) };
    },

    closeChannel(request: CloseChannelRequest, signal: AbortSignal): Promise<{ closingTxid: Hex32 }> {
      const ln = c.lightning;
      return new Promise((resolve, reject) => {
        const stream = ln.CloseChannel({
          channel_point: channelPointMessage(request.channelPoint),
          force: request.force ?? false,
          ...(request.satPerVbyte !== undefined ? { sat_per_vbyte: request.satPerVbyte.toString() } : {}),
        });
        const onAbort = () => {
          stream.cancel();
          reject(aborted('CloseChannel', signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        const finish = () => {
          signal.removeEventListener('abort', onAbort);
          stream.cancel();
        };
        stream.on('data', (u) => {
          const txid = u.close_pending?.txid ?? u.chan_close?.closing_txid;
          if (!txid) return;
          finish();
          resolve({ closingTxid: txidFromBytes(txid) });
        });
        stream.on('error', (err: Error) => {
          finish();
          reject(toLspError(err, 'CloseChannel'));
        });
      });
    },

    abandonChannel(point: ChannelPoint, signal: AbortSignal): Promise<void> {
      return abandonChannel(c, point, signal);
    },

    async acceptChannels(
      decide: (proposal: ChannelOpenProposal) => ChannelOpenDecision | Promise<ChannelOpenDecision>,
      options: StreamOptions,
    ): Promise<void> {
      const ln = c.lightning;
      type Duplex = ClientDuplexStream<ChannelAcceptResponse, ChannelAcceptRequest__Output>;
      const answer = async (req: ChannelAcceptRequest__Output, stream: Duplex) => {
        let decision: ChannelOpenDecision;
        try {
          decision = await decide(proposalFromLnd(req));
        } catch (err) {
          decision = { accept: false, error: err instanceof Error ? err.message : 'rejected' };
        }
        stream.write(
          decision.accept
            ? {
                pending_chan_id: req.pending_chan_id,
                accept: true,
                ...(decision.zeroConf ? { zero_conf: true, min_accept_depth: 0 } : {}),
                ...(decision.csvDelay !== undefined ? { csv_delay: decision.csvDelay } : {}),
              }
            : { pending_chan_id: req.pending_chan_id, accept: false, error: decision.error },
        );
      };
      void keepStreaming<ChannelAcceptRequest__Output, Duplex>(
        'ChannelAcceptor',
        () => ln.ChannelAcceptor(),
        (req, stream) => void answer(req, stream),
        options,
        hooks,
      );
    },

    channelEvents(options: StreamOptions): AsyncIterable<ChannelEvent> {
      const ln = c.lightning;
      return resilientStream(
        'SubscribeChannelEvents',
        () => ln.SubscribeChannelEvents({}),
        channelEventFromLnd,
        options,
        hooks,
      );
    },

    channelBackups(options: StreamOptions): AsyncIterable<ChannelBackup> {
      return channelBackups(c, options, hooks);
    },

    async updateChannelPolicy(update: ChannelPolicyUpdate, signal: AbortSignal): Promise<void> {
      const ln = c.lightning;
      const r = await unary(
        'UpdateChannelPolicy',
        ln.UpdateChannelPolicy.bind(ln),
        {
          ...(update.channelPoint
            ? { chan_point: channelPointMessage(update.channelPoint) }
            : { global: true }),
          base_fee_msat: update.baseFee.toString(),
          fee_rate_ppm: Number(update.feeRatePpm),
          time_lock_delta: update.timeLockDelta,
          ...(update.inboundFee
            ? {
                inbound_fee: {
                  base_fee_msat: Number(update.inboundFee.baseFee),
                  fee_rate_ppm: Number(update.inboundFee.feeRatePpm),
                },
              }
            : {}),
        },
        signal,
      );
      if (r.failed_updates.length > 0) {
        const reasons = r.failed_updates.map((f) => `${f.reason}: ${f.update_error}`).join('; ');
        throw new LspError(ErrorCode.LightningRejected, `channel policy update failed: ${reasons}`);
      }
    },

    async forwardingHistory(query: ForwardingHistoryQuery, signal: AbortSignal): Promise<ForwardingEvent[]> {
      const ln = c.lightning;
      const r = await unary(
        'ForwardingHistory',
        ln.ForwardingHistory.bind(ln),
        {
          start_time: String(Math.floor(query.start.getTime() / 1000)),
          end_time: String(Math.ceil(query.end.getTime() / 1000)),
          index_offset: query.offset ?? 0,
          num_max_events: query.limit ?? 1000,
        },
        signal,
      );
      return r.forwarding_events.map((f) => ({
        timestamp: new Date(Number(BigInt(f.timestamp_ns) / 1_000_000n)),
        incomingScid: scid(f.chan_id_in),
        outgoingScid: scid(f.chan_id_out),
        amountIn: msat(f.amt_in_msat),
        amountOut: msat(f.amt_out_msat),
        fee: msat(f.fee_msat),
      }));
    },

    async addChannelAlias(alias: Scid, base: Scid, signal: AbortSignal): Promise<void> {
      const router = c.router;
      await unary(
        'XAddLocalChanAliases',
        router.XAddLocalChanAliases.bind(router),
        { alias_maps: [{ base_scid: base.toString(), aliases: [alias.toString()] }] },
        signal,
      );
    },
  };
}
