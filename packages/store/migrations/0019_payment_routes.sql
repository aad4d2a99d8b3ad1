-- The routes a tenant's payment took (issue 20, item 2): every HTLC attempt LND made for the
-- last attempt of the payment, read from its final payment (TrackPaymentV2 / SendPaymentV2),
-- as JSON: [{ status, hops: [{ pubkey, scid, feeMsat }], feeMsat, amountMsat,
-- failure?: { code, sourceIndex, pubkey?, scid? } }], msat and scids as decimal strings.
-- Null until the payment ends (and for payments that ended before this migration).
alter table payments add column htlc_attempts text;
