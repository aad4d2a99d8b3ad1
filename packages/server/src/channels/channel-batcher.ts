/**
 * Opens queued channel requests together: requests arriving within the batch window (and
 * asking the same fee rate) share one funding transaction. If a peer refuses, the batch is
 * retried without that peer's requests (or, when LND does not say who refused, each request
 * is opened on its own), so one bad request never costs the others their channel.
 */
import { type LightningBackend, type OpenChannelRequest, parsePubkey, sat } from '@blgv/core';
import type { ChannelRequest } from '@blgv/store';
import type { Logger } from 'pino';
import type { ForwardingFees } from './forwarding-policy.ts';

/** What happened to one request. */
export type OpenOutcome =
  | { readonly ok: true; readonly txid: string; readonly outputIndex: number }
  | { readonly ok: false; readonly reason: string };

/** Callbacks that persist each step (the batcher itself keeps no state worth keeping). */
export interface BatcherHooks {
  /** Called before LND is asked, for the requests about to be opened. */
  opening(requests: readonly ChannelRequest[]): Promise<void>;
  /** Called once per request with its outcome. */
  finished(request: ChannelRequest, outcome: OpenOutcome): Promise<void>;
}

interface Waiting {
  readonly request: ChannelRequest;
  readonly done: (outcome: OpenOutcome) => void;
}

/** Collects requests and opens them in batches. */
export class ChannelBatcher {
  readonly #lightning: LightningBackend;
  readonly #hooks: BatcherHooks;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  readonly #log: Logger;
  readonly #policy: ForwardingFees;
  #queue: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: {
    lightning: LightningBackend;
    hooks: BatcherHooks;
    windowMs: number;
    maxBatch: number;
    log: Logger;
    /** The forwarding fees every new channel starts with. */
    policy?: ForwardingFees;
  }) {
    this.#lightning = deps.lightning;
    this.#hooks = deps.hooks;
    this.#windowMs = deps.windowMs;
    this.#maxBatch = deps.maxBatch;
    this.#log = deps.log;
    this.#policy = deps.policy ?? {};
  }

  /** Queues a request; resolves once its funding transaction is published or it failed. */
  submit(request: ChannelRequest): Promise<OpenOutcome> {
    return new Promise((done) => {
      this.#queue.push({ request, done });
      if (this.#queue.length >= this.#maxBatch) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#windowMs);
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const taken = this.#queue.splice(0, this.#maxBatch);
    if (this.#queue.length > 0) this.#timer = setTimeout(() => this.#flush(), this.#windowMs);
    const byFeeRate = new Map<string, Waiting[]>();
    for (const w of taken) {
      const k = String(w.request.feeRateSatPerVbyte ?? 'auto');
      byFeeRate.set(k, [...(byFeeRate.get(k) ?? []), w]);
    }
    for (const group of byFeeRate.values()) void this.#open(group);
  }

  async #open(group: Waiting[]): Promise<void> {
    const finish = async (w: Waiting, outcome: OpenOutcome) => {
      await this.#hooks
        .finished(w.request, outcome)
        .catch((err: unknown) => this.#log.error({ err, id: w.request.id }, 'recording outcome failed'));
      w.done(outcome);
    };
    try {
      await this.#hooks.opening(group.map((w) => w.request));
    } catch (err) {
      for (const w of group)
        await finish(w, { ok: false, reason: `could not record the open: ${String(err)}` });
      return;
    }
    const feeRate = group[0]?.request.feeRateSatPerVbyte ?? undefined;
    const options = feeRate !== undefined ? { satPerVbyte: feeRate } : { targetConf: 6 };
    let remaining = group;
    // Try the batch; when LND names the peer that refused, drop its requests and try again
    // with the rest, so the others still share one transaction (and its confirmed inputs).
    while (remaining.length > 1) {
      try {
        const results = await this.#lightning.batchOpenChannels(
          remaining.map((w) => toOpen(w.request, this.#policy)),
          options,
          AbortSignal.timeout(60_000),
        );
        this.#log.info(
          { channels: remaining.length, txid: results[0]?.channelPoint.txid },
          'batch funding transaction published',
        );
        for (const [i, w] of remaining.entries()) {
          const point = results[i]?.channelPoint;
          await finish(
            w,
            point
              ? { ok: true, txid: point.txid, outputIndex: point.outputIndex }
              : { ok: false, reason: 'LND returned no channel point' },
          );
        }
        return;
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        const culprits = remaining.filter((w) => reason.includes(w.request.clientPubkey));
        if (culprits.length === 0 || culprits.length === remaining.length) {
          this.#log.warn(
            { err: reason, channels: remaining.length },
            'batch open refused; opening one by one',
          );
          break;
        }
        this.#log.warn(
          { err: reason, dropped: culprits.length },
          'batch open refused by a peer; retrying without it',
        );
        for (const w of culprits) await finish(w, { ok: false, reason });
        remaining = remaining.filter((w) => !culprits.includes(w));
      }
    }
    for (const w of remaining) {
      try {
        const { channelPoint } = await this.#lightning.openChannel(
          { ...toOpen(w.request, this.#policy), ...options },
          AbortSignal.timeout(60_000),
        );
        await finish(w, { ok: true, txid: channelPoint.txid, outputIndex: channelPoint.outputIndex });
      } catch (err) {
        await finish(w, { ok: false, reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}

/** The memo tagging a channel with the request it was opened for (found again after a crash). */
export function channelMemo(requestId: string): string {
  return `channel:${requestId}`;
}

function toOpen(r: ChannelRequest, policy: ForwardingFees): OpenChannelRequest {
  return {
    ...policy,
    remotePubkey: parsePubkey(r.clientPubkey),
    localAmount: r.capacity,
    pushAmount: sat(r.push),
    private: r.private,
    memo: channelMemo(r.id),
  };
}
