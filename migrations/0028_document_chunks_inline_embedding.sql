-- Keep a chunk's embedding in the row (STORAGE MAIN) rather than out of line in the TOAST table:
-- the exact vector scan of a tenant's chunks then reads one heap page per few chunks instead of a
-- TOAST lookup per chunk (a 384-dimension vector is 1.5 KB; beside the text and its tsvector the
-- row passed the 2 KB TOAST threshold and the vector, its largest value, went out of line). At
-- 100,000 chunks over 20 tenants the vector search statement took 49 ms with the vectors out of
-- line and 20 ms in line (docs/benchmarks.md, "where a search's time goes"). It applies to rows
-- written from now on; existing chunks move in line when their document is reindexed.
ALTER TABLE document_chunks ALTER COLUMN embedding SET STORAGE MAIN;
