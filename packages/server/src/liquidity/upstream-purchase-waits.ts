/**
 * The waiting parts of an upstream liquidity purchase, after it is paid: for the upstream to
 * publish the channel's funding (`paid`), then for the channel to carry the amount
 * (`opening`: active, with a small probe routed to the upstream). Both poll, and wake early on any channel event of our node; both give up at the
 * purchase's deadline, counted from its last transition.
 */
import {
  type ChannelsPort,
  ErrorCode,
  formatChannelPoint,
  isLspError,
  LspError,
  type Msat,
  type PaymentsPort,
  type PeersPort,
  type Pubkey,
  type PurchaseEvent,
  type Sat,
  sat,
  satToMsat,
} from '@blgv/core';
import type { LiquidityPurchaseRecord } from '@blgv/store';
import type { Logger } from 'pino';
import { errorMessage } from '../error-message.ts';
import { parseUpstreamOrder } from './upstream-lsps1-wire.ts';
import { spendableOf } from './upstream-order-size.ts';

/** Deadline of the probe proving the channel carries the amount. */
const PROBE_TIMEOUT_SECONDS = 30;
/** LSPS1 `101`: no such order. */
const LSPS1_NOT_FOUND = 101;

/**
 * The Lightning calls the waits make: following channels until the upstream's opens, connecting
 * to the upstream, and probing the new channel.
 */
export type PurchaseWaitsLightning = Pick<ChannelsPort, 'channelEvents' | 'listChannels'> &
  Pick<PeersPort, 'connectPeer'> &
  Pick<PaymentsPort, 'probe'>;

/** What the waits need. */
export interface PurchaseWaitDeps {
  readonly lightning: PurchaseWaitsLightning;
  /** Calls the upstream over LSPS; error answers are {@link LspError}s with `details.lspsCode`. */
  readonly call: (method: string, params: object, signal: AbortSignal) => Promise<unknown>;
  readonly upstream: { readonly pubkey: Pubkey; readonly host: string };
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly log: Logger;
}

/** Waits of paid purchases; `run` feeds them our node's channel events. */
export class PurchaseWaits {
  readonly #deps: PurchaseWaitDeps;
  /** Wakes waits on the next channel event. */
  readonly #wakers = new Set<() => void>();

  constructor(deps: PurchaseWaitDeps) {
    this.#deps = deps;
  }

  /** Reads channel events until `signal` aborts (without them, waits only poll). */
  async run(signal: AbortSignal): Promise<void> {
    try {
      for await (const _ of this.#deps.lightning.channelEvents({ signal })) {
        for (const wake of [...this.#wakers]) wake();
      }
    } catch (err) {
      if (!signal.aborted)
        this.#deps.log.warn({ err: errorMessage(err) }, 'channel events ended; polling only');
    }
  }

  /** In `paid`: until the upstream publishes the funding (`order_completed`), fails, or time is up. */
  async channelFunded(r: LiquidityPurchaseRecord, signal: AbortSignal): Promise<PurchaseEvent> {
    const { call, lightning, upstream } = this.#deps;
    const deadline = r.updatedAt.getTime() + this.#deps.timeoutMs;
    for (;;) {
      try {
        const order = parseUpstreamOrder(await call('lsps1.get_order', { order_id: r.orderId }, signal));
        if (order.state === 'FAILED')
          return {
            type: 'order_failed',
            reason: 'the upstream failed the order (it refunds the payment to our refund address)',
          };
        if (order.fundingOutpoint)
          return { type: 'order_completed', fundingOutpoint: formatChannelPoint(order.fundingOutpoint) };
      } catch (err) {
        if (isLspError(err, ErrorCode.Aborted)) throw err;
        if (err instanceof LspError && err.details?.lspsCode === LSPS1_NOT_FOUND)
          return { type: 'order_failed', reason: `the upstream does not know order ${r.orderId}` };
        this.#deps.log.debug(
          { purchase: r.id, err: errorMessage(err) },
          'upstream order not readable; retrying',
        );
        await lightning.connectPeer(upstream.pubkey, upstream.host, signal).catch(() => {});
      }
      if (Date.now() > deadline)
        return {
          type: 'gave_up',
          reason: `no channel from the upstream within ${this.#deps.timeoutMs / 1000} s`,
        };
      await this.#nextChannelEventOr(this.#deps.pollIntervalMs, signal);
      if (signal.aborted) throw stopped(signal);
    }
  }

  /** In `opening`: until the channel is active and a probe proves it carries the amount (`usable`). */
  async channelUsable(r: LiquidityPurchaseRecord, signal: AbortSignal): Promise<PurchaseEvent> {
    const { lightning, upstream } = this.#deps;
    const deadline = r.updatedAt.getTime() + this.#deps.timeoutMs;
    const point = r.fundingOutpoint ?? '';
    for (;;) {
      const channel = (await lightning.listChannels(signal)).find(
        (c) => c.active && formatChannelPoint(c.channelPoint) === point,
      );
      const spendable = channel ? spendableOf(channel) : sat(0n);
      if (channel && spendable > 0n) {
        // A probe nobody can settle: `incorrect_payment_details` from the upstream proves the hop.
        // How much the channel carries is its balance; the probe proves it routes.
        const probe = probeAmount(spendable, r.amountSat);
        const result = await lightning.probe(
          {
            destination: upstream.pubkey,
            amount: probe,
            outgoingScid: channel.scid,
            timeoutSeconds: PROBE_TIMEOUT_SECONDS,
          },
          signal,
        );
        this.#deps.log.debug(
          {
            purchase: r.id,
            probeMsat: Number(probe),
            result: result.status === 'failed' ? result.reason : result.status,
          },
          'probe of the bought channel',
        );
        if (result.status === 'failed' && result.reason === 'incorrect_payment_details') {
          if (spendable < r.amountSat)
            this.#deps.log.warn(
              { purchase: r.id, spendable: Number(spendable) },
              'bought channel carries less than asked',
            );
          return { type: 'usable', outbound: spendable };
        }
      }
      if (Date.now() > deadline)
        return {
          type: 'gave_up',
          reason: `channel ${point} not usable within ${this.#deps.timeoutMs / 1000} s`,
        };
      await this.#nextChannelEventOr(this.#deps.pollIntervalMs, signal);
      if (signal.aborted) throw stopped(signal);
    }
  }

  /** Resolves at the next channel event, after `ms`, or when `signal` aborts. */
  #nextChannelEventOr(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** Waits for `done` until `signal` aborts; the work itself goes on. */
export function until<T>(done: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(stopped(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(stopped(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    done.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The error for a wait ended by `signal`: `timeout` for a deadline, else `aborted`. */
export function stopped(signal: AbortSignal): LspError {
  const timedOut = signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError';
  return timedOut
    ? new LspError(ErrorCode.Timeout, 'gave up waiting for liquidity from the upstream LSP')
    : new LspError(ErrorCode.Aborted, 'stopped waiting for liquidity from the upstream LSP');
}

/**
 * What the probe sends: it proves the channel routes to the upstream (how much it can carry is
 * LND's balance, read above). A small probe, because one HTLC of the whole amount may exceed
 * per-HTLC limits (2^32 msat without large channels, the peers' `max_htlc`) that a real,
 * multi-part payment does not meet.
 */
const PROBE_MAX_MSAT = 10_000_000n;

function probeAmount(spendable: Sat, wanted: Sat): Msat {
  const amount = satToMsat(spendable < wanted ? spendable : wanted);
  return (amount < PROBE_MAX_MSAT ? amount : PROBE_MAX_MSAT) as Msat;
}
