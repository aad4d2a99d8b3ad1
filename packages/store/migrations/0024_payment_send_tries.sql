-- The tries of one attempt of a payment (issue 20): a payment is sent in one part first and,
-- when LND found no route for it whole without sending anything, sent again split. Between the
-- two, LND reports the payment failed (the first try), so another replica resolving pending
-- payments could record it failed and refund it while the split try pays. Each try is claimed
-- here (compare-and-set from the try before) before it is sent, and an outcome is recorded only
-- for the try it was read for: whichever comes first wins, the other does nothing.
alter table payments add column send_try integer not null default 1 check (send_try >= 1);
