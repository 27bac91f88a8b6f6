-- Experiment: scope the trigram index by ledger (btree_gin lets ledger_id share
-- the GIN index), so a search in one ledger no longer visits the heap rows of
-- matches in every other ledger. The trigram posting lists are still global,
-- so common terms are not cheaper. Replaces transactions_search_trgm.
-- Try it: npm run bench -- --scale full --engine postgres --after-load @bench/experiments/search-ledger-gin.sql
create extension if not exists btree_gin;
set maintenance_work_mem = '512MB';
create index transactions_search_ledger_trgm on transactions using gin (ledger_id, search_text gin_trgm_ops);
drop index transactions_search_trgm;
reset maintenance_work_mem;
