-- An ended LSPS1 order whose address still holds its client's coins (a receipt worth its refund
-- at the lowest fee rate that no refund spends yet: the fee rate of now too high for it, say)
-- stays in custody, its receipts leased and its refund tried every pass, however long after its
-- watch: custody ends with the coins back, not on a timer. Each pass sets it and clears it.
alter table lsps1_orders add column holds_client_coins boolean not null default false;
