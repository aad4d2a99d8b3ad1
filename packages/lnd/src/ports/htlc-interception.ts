/**
 * Holding forwarded HTLCs until the LSP decides (LSPS2's JIT channels).
 * The LND side of `HtlcInterceptionPort` (`@blgv/core`): one of the ports `lndBackend` puts together.
 */
import {
  ErrorCode,
  type HtlcFinalResolution,
  type HtlcInterceptionPort,
  type HtlcInterceptor,
  type HtlcResolution,
  type InterceptedHtlc,
  LspError,
  msat,
  parseHex32,
  type StreamOptions,
  scid,
} from '@blgv/core';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { ForwardHtlcInterceptRequest__Output } from '../../generated/types/routerrpc/ForwardHtlcInterceptRequest.ts';
import type { ForwardHtlcInterceptResponse } from '../../generated/types/routerrpc/ForwardHtlcInterceptResponse.ts';
import type { HtlcEvent__Output } from '../../generated/types/routerrpc/HtlcEvent.ts';
import { AsyncQueue } from '../async-queue.ts';
import type { LndClients } from '../connection.ts';
import { toLspError } from '../errors.ts';
import { customRecordsFromLnd } from '../mappers.ts';
import { keepStreaming, resilientStream, type StreamHooks } from '../streams.ts';

/** An incoming HTLC's final resolution (LND's `final_htlc_event`); other events are skipped. */
function finalResolutionFromLnd(e: HtlcEvent__Output): HtlcFinalResolution | undefined {
  if (!e.final_htlc_event) return undefined;
  return {
    incomingScid: scid(e.incoming_channel_id),
    incomingHtlcId: BigInt(e.incoming_htlc_id),
    settled: e.final_htlc_event.settled,
  };
}

function interceptedFromLnd(m: ForwardHtlcInterceptRequest__Output): InterceptedHtlc {
  const key = m.incoming_circuit_key;
  const customRecords = customRecordsFromLnd(m.in_wire_custom_records);
  return {
    incomingScid: scid(key?.chan_id ?? '0'),
    incomingHtlcId: BigInt(key?.htlc_id ?? '0'),
    outgoingScid: scid(m.outgoing_requested_chan_id),
    paymentHash: parseHex32(m.payment_hash.toString('hex')),
    incomingAmount: msat(m.incoming_amount_msat),
    outgoingAmount: msat(m.outgoing_amount_msat),
    incomingExpiry: m.incoming_expiry,
    outgoingExpiry: m.outgoing_expiry,
    customRecords,
    onionBlob: new Uint8Array(m.onion_blob),
    autoFailHeight: m.auto_fail_height,
  };
}

function interceptResponse(r: HtlcResolution): ForwardHtlcInterceptResponse {
  const incoming_circuit_key = { chan_id: r.incomingScid.toString(), htlc_id: r.incomingHtlcId.toString() };
  switch (r.action) {
    case 'resume':
      return { incoming_circuit_key, action: 'RESUME' };
    case 'resume_modified':
      return {
        incoming_circuit_key,
        action: 'RESUME_MODIFIED',
        out_amount_msat: r.outgoingAmount.toString(),
        ...(r.outgoingCustomRecords ? { out_wire_custom_records: records(r.outgoingCustomRecords) } : {}),
      };
    case 'fail':
      // LND's interceptor cannot originate unknown_next_peer; an HTLC let go on to a scid that
      // leads to no channel is failed by LND's switch with exactly that.
      return r.failure === 'unknown_next_peer'
        ? { incoming_circuit_key, action: 'RESUME' }
        : { incoming_circuit_key, action: 'FAIL', failure_code: 'TEMPORARY_CHANNEL_FAILURE' };
    case 'settle':
      return { incoming_circuit_key, action: 'SETTLE', preimage: Buffer.from(r.preimage, 'hex') };
  }
}

function records(map: ReadonlyMap<bigint, Uint8Array> | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of map ?? []) out[k.toString()] = Buffer.from(v);
  return out;
}

/** `HtlcInterceptionPort` on LND. */
export function lndHtlcInterception(c: LndClients, hooks: StreamHooks): HtlcInterceptionPort {
  return {
    interceptHtlcs(options: StreamOptions): HtlcInterceptor {
      const router = c.router;
      const queue = new AsyncQueue<InterceptedHtlc>();
      type Duplex = ClientDuplexStream<ForwardHtlcInterceptResponse, ForwardHtlcInterceptRequest__Output>;
      let current: Duplex | undefined;
      keepStreaming<ForwardHtlcInterceptRequest__Output, Duplex>(
        'HtlcInterceptor',
        () => router.HtlcInterceptor(),
        (m) => queue.push(interceptedFromLnd(m)),
        options,
        hooks,
        (s) => {
          current = s;
        },
      ).then(
        () => queue.end(),
        (err: unknown) => queue.end(err),
      );
      return {
        htlcs: queue,
        resolve: (resolution) => {
          const stream = current;
          if (!stream) {
            return Promise.reject(
              new LspError(
                ErrorCode.LightningUnavailable,
                'HTLC interceptor is reconnecting; LND will replay the HTLC',
              ),
            );
          }
          return new Promise<void>((resolve, reject) =>
            stream.write(interceptResponse(resolution), (err: Error | null | undefined) =>
              err ? reject(toLspError(err, 'HtlcInterceptor')) : resolve(),
            ),
          );
        },
      };
    },

    htlcResolutions(options: StreamOptions): AsyncIterable<HtlcFinalResolution> {
      const router = c.router;
      return resilientStream(
        'SubscribeHtlcEvents',
        () => router.SubscribeHtlcEvents({}),
        finalResolutionFromLnd,
        options,
        hooks,
      );
    },
  };
}
