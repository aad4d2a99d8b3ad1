/**
 * Holding forwarded HTLCs until the LSP decides (LSPS2's JIT channels).
 * One of the Lightning node's ports (see `../backend.ts`).
 */
import type { StreamOptions } from '../stream-options.ts';
import type { HtlcFinalResolution, HtlcResolution, InterceptedHtlc } from '../types.ts';

/** A live HTLC interceptor: HTLCs come in, resolutions go out. */
export interface HtlcInterceptor {
  /** HTLCs as LND hands them over; after a reconnect LND replays the ones still held. */
  readonly htlcs: AsyncIterable<InterceptedHtlc>;
  /** Resolves one held HTLC. */
  resolve(resolution: HtlcResolution): Promise<void>;
}

/** Holding forwarded HTLCs until the LSP decides (LSPS2's JIT channels). */
export interface HtlcInterceptionPort {
  /** Registers as LND's HTLC interceptor (one at a time per node). */
  interceptHtlcs(options: StreamOptions): HtlcInterceptor;
  /**
   * How incoming HTLCs end, settled or failed, as they end (after a reconnect, ends missed
   * meanwhile are not replayed: the forwarding history tells which forwards settled).
   */
  htlcResolutions(options: StreamOptions): AsyncIterable<HtlcFinalResolution>;
}
