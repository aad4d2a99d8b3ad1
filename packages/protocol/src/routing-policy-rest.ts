/**
 * The routing fee policy on the wire (`GET` / `PUT /v1/admin/routing/policy`, admin keys only):
 * the settings of the routing-fees job (fees that follow liquidity, docs/routing.md).
 */
import { type Static, Type } from '@sinclair/typebox';

const ppm = (description: string) => Type.Integer({ minimum: 0, maximum: 1_000_000, description });

const fields = {
  enabled: Type.Boolean({ description: 'the job changes fees (or records what it would, in dry-run)' }),
  dryRun: Type.Boolean({ description: 'record and log what the job would set, change nothing on the node' }),
  intervalSeconds: Type.Integer({ minimum: 1, maximum: 86_400, description: 'how often the job runs' }),
  windowSeconds: Type.Integer({
    minimum: 1,
    maximum: 30 * 86_400,
    description: 'the least time between two changes of one channel',
  }),
  minStepPpm: ppm('a change must move the fee rate (or inbound discount) by more than this'),
  baseFeeMsat: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'base fee of managed channels' }),
  midpointPpm: ppm('fee rate at the target outbound share'),
  minPpm: ppm('floor: a full channel fee rate'),
  maxPpm: ppm('ceiling: a drained channel fee rate'),
  targetOutboundPercent: Type.Integer({ minimum: 1, maximum: 99, description: 'the target outbound share' }),
  flowWeightPercent: Type.Integer({
    minimum: 0,
    maximum: 100,
    description: 'how far the recent flow moves the rate, in percent of the band',
  }),
  flowWindowSeconds: Type.Integer({
    minimum: 60,
    maximum: 90 * 86_400,
    description: 'the recent flow window',
  }),
  inboundMaxDiscountPpm: ppm('largest inbound discount on a drained channel; 0: no inbound fees'),
};

/** The policy's settings, as `GET` answers them (every field). */
export const RoutingPolicyResponse = Type.Object(fields, { additionalProperties: false });
export type RoutingPolicyResponse = Static<typeof RoutingPolicyResponse>;

/** `PUT /v1/admin/routing/policy`: the fields to change (the others keep their values). */
export const RoutingPolicyBody = Type.Partial(Type.Object(fields), {
  additionalProperties: false,
  minProperties: 1,
});
export type RoutingPolicyBody = Static<typeof RoutingPolicyBody>;
