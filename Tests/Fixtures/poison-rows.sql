-- Rows that a database created before schema 003 could hold (or that a producer wrote with the
-- validation triggers dropped). No binary may crash on them: each never-sent one ends with
-- exactly one outcome, `failed` / `unreadable_row`, naming the column. Tests drop the insert
-- triggers before running this file. The key of every row is in the comment before it.

-- 1. command_key: a BLOB that is not UTF-8.
INSERT INTO outbox (command_key, kind, payload) VALUES
  (X'FFFE00C328', 'async_pair_request', '{"TerminalTagCode":"T1"}');
-- 2. payload: a BLOB that is not UTF-8. key 0f000000-0000-4000-8000-000000000002
INSERT INTO outbox (command_key, kind, payload) VALUES
  ('0f000000-0000-4000-8000-000000000002', 'marketplace_approve', X'7B22C328');
-- 3. a sale created at the largest 64-bit integer. key 0f000000-0000-4000-8000-000000000003
INSERT INTO outbox (command_key, kind, payload, created_at) VALUES
  ('0f000000-0000-4000-8000-000000000003', 'async_sale',
   '{"TerminalTagCode":"T1","MerchantUniqueCode":"0f000000-0000-4000-8000-000000000003","Amount":1,"CurrencyId":1}',
   9223372036854775807);
-- 4. a sale not before the largest 64-bit integer. key 0f000000-0000-4000-8000-000000000004
INSERT INTO outbox (command_key, kind, payload, not_before) VALUES
  ('0f000000-0000-4000-8000-000000000004', 'async_sale',
   '{"TerminalTagCode":"T1","MerchantUniqueCode":"0f000000-0000-4000-8000-000000000004","Amount":1,"CurrencyId":1}',
   9223372036854775807);
-- 5. a sale created at the smallest 64-bit integer. key 0f000000-0000-4000-8000-000000000005
INSERT INTO outbox (command_key, kind, payload, created_at) VALUES
  ('0f000000-0000-4000-8000-000000000005', 'async_sale',
   '{"TerminalTagCode":"T1","MerchantUniqueCode":"0f000000-0000-4000-8000-000000000005","Amount":1,"CurrencyId":1}',
   -9223372036854775808);
-- 6. kind stored as a BLOB (a number would become text: the column has TEXT affinity). key 0f000000-0000-4000-8000-000000000006
INSERT INTO outbox (command_key, kind, payload) VALUES
  ('0f000000-0000-4000-8000-000000000006', X'61FF', '{"PaymentId":1}');
-- 7. deadline in seconds, not milliseconds. key 0f000000-0000-4000-8000-000000000007
INSERT INTO outbox (command_key, kind, payload, deadline) VALUES
  ('0f000000-0000-4000-8000-000000000007', 'async_pair_request', '{"TerminalTagCode":"T1"}', 1900000000);
-- 8. payload: TEXT that is not UTF-8 (schema 5 still stores it: SQL cannot check UTF-8; read as
-- text it would become U+FFFD and be sent). key 0f000000-0000-4000-8000-000000000008
INSERT INTO outbox (command_key, kind, payload) VALUES
  ('0f000000-0000-4000-8000-000000000008', 'async_pair_request',
   '{"TerminalTagCode":"T' || CAST(X'FF' AS TEXT) || '1"}');
