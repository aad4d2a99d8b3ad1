/**
 * The `promise` of an LSPS2 `opening_fee_params` entry: an HMAC-SHA256, under a key only the
 * LSP holds, of every other field. `lsps2.buy` recomputes it, so a client cannot alter a fee
 * entry, and an entry made by another replica (same secrets key) is accepted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { OpeningFeeParams } from '@blgv/protocol';

/** The fields the promise covers. */
export type PromisedFields = Omit<OpeningFeeParams, 'promise'>;

/** Makes and checks fee promises. */
export class FeePromises {
  readonly #key: Buffer;

  /** `key`: 32 secret bytes (derived from the server's secrets key). */
  constructor(key: Buffer) {
    this.#key = key;
  }

  /** The entry with its promise. */
  sign(fields: PromisedFields): OpeningFeeParams {
    return { ...fields, promise: this.#mac(fields).toString('hex') };
  }

  /** True when `params.promise` is ours for exactly these fields. */
  verify(params: OpeningFeeParams): boolean {
    const given = Buffer.from(params.promise, 'hex');
    const expected = this.#mac(params);
    return (
      given.length === expected.length &&
      /^[0-9a-f]+$/.test(params.promise) &&
      timingSafeEqual(given, expected)
    );
  }

  #mac(f: PromisedFields): Buffer {
    const canonical = [
      'lsps2-opening-fee-params-v1',
      f.min_fee_msat,
      f.proportional,
      f.valid_until,
      f.min_lifetime,
      f.max_client_to_self_delay,
      f.min_payment_size_msat,
      f.max_payment_size_msat,
    ].join('\n');
    return createHmac('sha256', this.#key).update(canonical).digest();
  }
}
