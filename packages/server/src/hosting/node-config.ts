/**
 * The spec's `HostedNodeConfig` from the wire to the domain: defaults filled in, and every rule
 * the schema cannot say (alias bytes, channel sizes of the LSP's limits, autopilot bounds)
 * checked with an error naming the field.
 */
import { type HostedNodeConfig, invalidInput, sat } from '@blgv/core';
import type { HostedNodeConfigBody } from '@blgv/protocol';

/** Limits the config is checked against. */
export interface NodeConfigLimits {
  readonly minChannelSize: number;
  readonly maxChannelSize: number;
}

const DEFAULT_COLOR = '#3399ff';
const MAX_ALIAS_BYTES = 32;
/** LND's smallest autopilot channel; below it autopilot would open nothing. */
const MIN_AUTOPILOT_CHANNEL = 20_000;
/** The largest channel without wumbo. */
const NON_WUMBO_MAX = 16_777_215;

/** Parses a request body into a {@link HostedNodeConfig}; throws `invalid_input` naming the field. */
export function parseNodeConfig(body: HostedNodeConfigBody, limits: NodeConfigLimits): HostedNodeConfig {
  if (Buffer.byteLength(body.alias, 'utf8') > MAX_ALIAS_BYTES) {
    throw invalidInput('alias', `at most ${MAX_ALIAS_BYTES} bytes of UTF-8`);
  }
  if ([...body.alias].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === '\u007f')) {
    throw invalidInput('alias', 'no control characters');
  }
  const f = body.features ?? {};
  const zeroConf = f.zeroConf ?? false;
  const features = {
    keysend: f.keysend ?? true,
    amp: f.amp ?? false,
    wumbo: f.wumbo ?? false,
    zeroConf,
    scidAlias: (f.scidAlias ?? false) || zeroConf,
  };
  const maxChannel = features.wumbo ? limits.maxChannelSize : Math.min(limits.maxChannelSize, NON_WUMBO_MAX);
  const channels = (body.channels ?? []).map((c, i) => {
    const field = `channels[${i}]`;
    if (c.capacity < limits.minChannelSize || c.capacity > maxChannel) {
      throw invalidInput(
        `${field}.capacity`,
        `must be between ${limits.minChannelSize} and ${maxChannel} sat`,
      );
    }
    const push = c.pushAmount ?? 0;
    if (push >= c.capacity) throw invalidInput(`${field}.pushAmount`, 'must be below the capacity');
    return { capacity: sat(c.capacity), pushAmount: sat(push), isPrivate: c.isPrivate ?? false };
  });
  const a = body.autopilot ?? { enabled: false };
  const minChannelSize = a.minChannelSize ?? MIN_AUTOPILOT_CHANNEL;
  const maxChannelSize = a.maxChannelSize ?? NON_WUMBO_MAX;
  if (minChannelSize > maxChannelSize) {
    throw invalidInput('autopilot.minChannelSize', 'must not be above autopilot.maxChannelSize');
  }
  if (maxChannelSize > maxChannel) {
    throw invalidInput(
      'autopilot.maxChannelSize',
      `at most ${maxChannel} sat${features.wumbo ? '' : ' without wumbo'}`,
    );
  }
  return {
    alias: body.alias,
    color: (body.color ?? DEFAULT_COLOR).toLowerCase(),
    features,
    channels,
    autopilot: {
      enabled: a.enabled,
      maxChannels: a.maxChannels ?? 3,
      allocationPercent: a.allocationPercent ?? 60,
      minChannelSize: sat(minChannelSize),
      maxChannelSize: sat(maxChannelSize),
    },
  };
}

/** The config as stored (amounts as decimal strings). */
export function nodeConfigToJson(config: HostedNodeConfig): unknown {
  return JSON.parse(JSON.stringify(config, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

/** The stored config back as the domain type. */
export function nodeConfigFromJson(json: unknown): HostedNodeConfig {
  const c = json as {
    alias: string;
    color: string;
    features: HostedNodeConfig['features'];
    channels: { capacity: string; pushAmount: string; isPrivate: boolean }[];
    autopilot: Omit<HostedNodeConfig['autopilot'], 'minChannelSize' | 'maxChannelSize'> & {
      minChannelSize: string;
      maxChannelSize: string;
    };
  };
  return {
    alias: c.alias,
    color: c.color,
    features: c.features,
    channels: c.channels.map((ch) => ({
      capacity: sat(ch.capacity),
      pushAmount: sat(ch.pushAmount),
      isPrivate: ch.isPrivate,
    })),
    autopilot: {
      ...c.autopilot,
      minChannelSize: sat(c.autopilot.minChannelSize),
      maxChannelSize: sat(c.autopilot.maxChannelSize),
    },
  };
}
