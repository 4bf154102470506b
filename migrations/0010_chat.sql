-- 0010_chat: the chat orchestrator's idempotent requests and its usage ledger
-- (docs/orchestrator.md).
--
-- chat_requests: one row per idempotency key of a tenant's ChatService calls. The first call
-- claims the key (PENDING), stores its answer (DONE) or its failure (FAILED, which a retry with
-- the same key takes over); a repeat with the same request replays `reply`, a repeat with a
-- different request (another request_hash) is ALREADY_EXISTS.
CREATE TABLE chat_requests (
    tenant_id        uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    idempotency_key  text        NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
    -- SHA-256 (hex) of the request's fields that define it (docs/orchestrator.md).
    request_hash     text        NOT NULL CHECK (length(request_hash) = 64),
    status           text        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DONE', 'FAILED')),
    -- The conversation the request runs in, once known (a takeover continues in it).
    conversation_id  uuid,
    -- The ChatReply answered, as protobuf JSON (DONE only).
    reply            jsonb       CHECK (reply IS NULL OR jsonb_typeof(reply) = 'object'),
    error            text,
    claimed_at       timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, idempotency_key),
    CONSTRAINT chat_requests_done_check CHECK ((status = 'DONE') = (reply IS NOT NULL))
);

-- Keys older than a day are forgotten (the contract promises 24 hours); the orchestrator deletes
-- them along this index when it claims a key.
CREATE INDEX chat_requests_created_idx ON chat_requests (tenant_id, created_at);

-- chat_usage_daily: what the assistant used per tenant, provider, model and UTC day. Monthly
-- quotas sum a tenant's rows of the month; GetUsageStats reads them.
CREATE TABLE chat_usage_daily (
    tenant_id          uuid    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day                date    NOT NULL,
    provider           text    NOT NULL CHECK (length(provider) BETWEEN 1 AND 64),
    model              text    NOT NULL CHECK (length(model) <= 200),
    answers            bigint  NOT NULL DEFAULT 0 CHECK (answers >= 0),
    prompt_tokens      bigint  NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens  bigint  NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    PRIMARY KEY (tenant_id, day, provider, model)
);

ALTER TABLE chat_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY chat_requests_scope ON chat_requests
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));

ALTER TABLE chat_usage_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE chat_usage_daily FORCE ROW LEVEL SECURITY;
CREATE POLICY chat_usage_daily_scope ON chat_usage_daily
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));
