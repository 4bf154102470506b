-- A tenant's embedding settings from before its last change of model, endpoint or dimensions
-- (settings.rag.embedding without the key, as JSON) and its key (sealed, like embedding_api_key),
-- kept while its documents are reindexed: searches embed the question with both until no document
-- is waiting for the new model (docs/knowledge-base.md, "A tenant's own embedder").
ALTER TABLE tenants
    ADD COLUMN previous_embedding         jsonb,
    ADD COLUMN previous_embedding_api_key text;
