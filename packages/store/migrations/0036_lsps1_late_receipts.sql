-- A payment that reaches the address of an order whose watch ended (its address is looked at
-- every pass only for a while after the order ends) is found in the wallet's new transactions
-- and brings the order back into custody from then: its receipts are leased and refunded like
-- any other payment the order did not need.
alter table lsps1_orders add column late_receipt_at timestamptz;
