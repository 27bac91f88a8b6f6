-- Candidate fix (for a migration in src/db/migrations): tell the planner that
-- account_id, category_id and payee_id each determine ledger_id. Without it,
-- `ledger_id = $1 and account_id = $2` is estimated as the product of both
-- selectivities (a few rows instead of the account's thousands), and the
-- account-filtered list picks BitmapAnd + sort of every row of the account
-- instead of walking transactions_account_date_idx and stopping after 51 rows.
-- Try it: npm run bench -- --scale full --engine postgres --after-load @bench/experiments/tx-dependency-stats.sql
create statistics transactions_ledger_deps (dependencies) on ledger_id, account_id, category_id, payee_id from transactions;
