-- One INSERT per command kind, as a producer writes them, for PostgreSQL. Runs as is in psql,
-- as a member of outbox_producer:
--   psql "host=db.example port=5432 dbname=outbox user=till_app" -f Schema/postgres/examples/insert-one-of-each.sql
-- Every statement is a single INSERT (its own transaction) and is safe to repeat. The same
-- statements as Schema/examples/insert-one-of-each.sql (SQLite); only the clock differs:
-- outbox_now_ms() is the server's time in milliseconds since the Unix epoch.

-- A sale on a terminal running the POS vendor's app. command_key = MerchantUniqueCode.
INSERT INTO outbox (command_key, kind, payload) VALUES (
  '3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61', 'async_sale',
  '{"TerminalTagCode":"STORE1-TILL2","MerchantUniqueCode":"3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61",
    "Amount":22.10,"CurrencyId":1,"DisplayCode":"R-1042",
    "Products":[{"Name":"Coffee","TaxGroupId":10,"UnitCodeId":1,"Amount":11.05,"Quantity":2}]}'
) ON CONFLICT (command_key) DO NOTHING;

-- A sale on a terminal running Paywall's app, not sent after 2 minutes from now.
INSERT INTO outbox (command_key, kind, payload, deadline) VALUES (
  '9a6e0d2c-1b3f-4c5d-8e7f-6a5b4c3d2e1f', 'sync_sale',
  '{"TerminalId":"0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40","MerchantUniqueCode":"9a6e0d2c-1b3f-4c5d-8e7f-6a5b4c3d2e1f",
    "Amount":150,"CurrencyId":1,"SendNotificationDeviceDisconnected":true,
    "Products":[{"Name":"Haircut","TaxGroupId":20,"UnitCodeId":4,"Amount":150,"Quantity":1}]}',
  outbox_now_ms() + 120000
) ON CONFLICT (command_key) DO NOTHING;

-- Cancel the async sale above, named by its MerchantUniqueCode (no PaymentRequestId yet), one
-- minute from now: the sale goes out first. (Queued with no not_before while the sale is still
-- unsent, the cancel would withdraw both locally: neither would reach Paywall.)
INSERT INTO outbox (command_key, kind, payload, sale_key, not_before) VALUES (
  'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', 'async_cancel', '{}', '3f2b8c1e-6d4a-4e8b-9c1f-0a7d5e2b4c61',
  outbox_now_ms() + 60000
) ON CONFLICT (command_key) DO NOTHING;

-- Cancel a sync sale whose PaymentRequestId you already have.
INSERT INTO outbox (command_key, kind, payload, payment_request_id) VALUES (
  'd2e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f60', 'sync_cancel', '{"SendNotificationDeviceDisconnected":true}',
  '7e1f3a5c-9b2d-4f6e-8a0c-3d5b7f9e1a2c'
) ON CONFLICT (command_key) DO NOTHING;

-- Revoke the sync sale above once it has gone out, before its terminal takes it (sent after
-- Paywall's 5 s window, and only while the device has not taken the sale).
INSERT INTO outbox (command_key, kind, payload, sale_key, not_before) VALUES (
  'e3f4a5b6-c7d8-4e9f-8a1b-2c3d4e5f6a71', 'sync_sale_rollback', '{}', '9a6e0d2c-1b3f-4c5d-8e7f-6a5b4c3d2e1f',
  outbox_now_ms() + 2000
) ON CONFLICT (command_key) DO NOTHING;

-- Revoke a sync cancel before its terminal takes it.
INSERT INTO outbox (command_key, kind, payload, payment_request_id) VALUES (
  'f4a5b6c7-d8e9-4f0a-9b2c-3d4e5f6a7b82', 'sync_cancel_rollback', '{}', '7e1f3a5c-9b2d-4f6e-8a0c-3d5b7f9e1a2c'
) ON CONFLICT (command_key) DO NOTHING;

-- Ask a terminal running the vendor app for a pairing code.
INSERT INTO outbox (command_key, kind, payload) VALUES (
  'a5b6c7d8-e9f0-4a1b-8c3d-4e5f6a7b8c93', 'async_pair_request', '{"TerminalTagCode":"STORE1-TILL2"}'
) ON CONFLICT (command_key) DO NOTHING;

-- Confirm a pairing request.
INSERT INTO outbox (command_key, kind, payload) VALUES (
  'b6c7d8e9-f0a1-4b2c-9d4e-5f6a7b8c9da4', 'async_pair_confirm',
  '{"PairAsyncRequestId":"5c4b3a29-1807-4f6e-9d8c-7b6a5f4e3d2c"}'
) ON CONFLICT (command_key) DO NOTHING;

-- Ask a terminal running Paywall's app for a pairing code.
INSERT INTO outbox (command_key, kind, payload) VALUES (
  'c7d8e9f0-a1b2-4c3d-8e5f-6a7b8c9dabc5', 'sync_pair_request',
  '{"TerminalId":"0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40"}'
) ON CONFLICT (command_key) DO NOTHING;

-- Approve a marketplace payment (PaymentAPI's integer PaymentId).
INSERT INTO outbox (command_key, kind, payload) VALUES (
  'd8e9f0a1-b2c3-4d4e-9f6a-7b8c9dabcde6', 'marketplace_approve', '{"PaymentId":48213}'
) ON CONFLICT (command_key) DO NOTHING;
