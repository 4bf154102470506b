-- 0002_tenant_disabled_at: what the tenant endpoints keep besides 0001's columns.
--
--   disabled_at        when the tenant was last disabled; NULL exactly while it is enabled.
--   metadata           the tenant's free-form labels (a JSON object of strings).
--   llm_api_key,       the write-only provider API keys of the tenant's settings, kept out of the
--   embedding_api_key  settings JSON so that no read of `settings` can return them; each with its
--                      last four characters, the only part responses show (docs/decisions.md).

ALTER TABLE tenants
    ADD COLUMN disabled_at                 timestamptz,
    ADD COLUMN metadata                    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    ADD COLUMN llm_api_key                 text,
    ADD COLUMN llm_api_key_last_four       text,
    ADD COLUMN embedding_api_key           text,
    ADD COLUMN embedding_api_key_last_four text;

-- Tenants disabled before this migration count as disabled since their last change. The admin
-- scope (for this transaction only) lets the UPDATE see every row through row-level security.
SELECT set_config('app.scope', 'admin', true);
UPDATE tenants SET disabled_at = updated_at WHERE NOT enabled;

ALTER TABLE tenants
    ADD CONSTRAINT tenants_disabled_at_check CHECK (enabled = (disabled_at IS NULL)),
    ADD CONSTRAINT tenants_llm_api_key_check CHECK (
        (llm_api_key IS NULL) = (llm_api_key_last_four IS NULL)
    ),
    ADD CONSTRAINT tenants_embedding_api_key_check CHECK (
        (embedding_api_key IS NULL) = (embedding_api_key_last_four IS NULL)
    );

-- Listing pages newest first with (created_at, id) as the cursor.
CREATE INDEX tenants_created_at_id_idx ON tenants (created_at DESC, id DESC);
