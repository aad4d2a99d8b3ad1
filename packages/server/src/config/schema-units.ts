/**
 * The value shapes configuration sections are built from: amounts, rates and log levels.
 */
import { Type } from '@sinclair/typebox';

/** A non-negative satoshi (or msat) amount in config, with its default. */
export function Sat(defaultValue: number, minimum = 0) {
  return Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER, default: defaultValue });
}

/** A parts-per-million rate in config, with its default. */
export function Ppm(defaultValue: number) {
  return Type.Integer({ minimum: 0, maximum: 1_000_000, default: defaultValue });
}

/** A pino log level. */
export const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)),
);
