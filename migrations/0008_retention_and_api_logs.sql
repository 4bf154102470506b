-- 0008_retention_and_api_logs: one row per API call, the archives retention copies expired rows
-- into, and the retention runs (docs/retention.md).

-- One row per API call on either face, written in batches with COPY by the server's API-log
-- writer (never on the request path). No foreign keys: a log outlives its tenant and key.
CREATE TABLE api_logs (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at     timestamptz NOT NULL,
    -- The tenant the call acted for (a tenant key's, or an admin's x-tenant-id), if any.
    tenant_id       uuid,
    key_id          uuid,
    -- The gRPC method path, e.g. /metachat.v1.TenantService/GetTenant.
    method          text        NOT NULL CHECK (length(method) <= 256),
    -- The REST route template (e.g. GET /api/tenants/{tenant_id}) or, over gRPC, the method path.
    route           text        NOT NULL CHECK (length(route) <= 256),
    protocol        text        NOT NULL CHECK (protocol IN ('grpc', 'grpc-web', 'rest', 'websocket')),
    -- The gRPC status code and the HTTP status the REST face answers with for it.
    grpc_code       smallint    NOT NULL CHECK (grpc_code BETWEEN 0 AND 16),
    http_status     smallint    NOT NULL CHECK (http_status BETWEEN 100 AND 599),
    latency_us      bigint      NOT NULL CHECK (latency_us >= 0),
    request_id      text        NOT NULL CHECK (length(request_id) <= 128),
    client_address  text        CHECK (length(client_address) <= 64)
);

-- A tenant's logs, newest first (ListApiLogs' keyset pages) and usage counts by time range.
CREATE INDEX api_logs_tenant_idx ON api_logs (tenant_id, occurred_at DESC, id DESC);
-- Retention of calls made for no tenant, and of everything by age.
CREATE INDEX api_logs_occurred_idx ON api_logs (occurred_at);

-- Expired rows of tenants with `retention.archive_before_delete`, as the JSON of the row they were
-- (so the archive survives later changes to the live table's columns).
CREATE TABLE messages_archive (
    tenant_id        uuid        NOT NULL,
    id               uuid        NOT NULL,
    conversation_id  uuid        NOT NULL,
    created_at       timestamptz NOT NULL,
    archived_at      timestamptz NOT NULL DEFAULT now(),
    data             jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE api_logs_archive (
    id           bigint      PRIMARY KEY,
    tenant_id    uuid,
    occurred_at  timestamptz NOT NULL,
    archived_at  timestamptz NOT NULL DEFAULT now(),
    data         jsonb       NOT NULL
);

CREATE INDEX api_logs_archive_tenant_idx ON api_logs_archive (tenant_id, occurred_at);

-- Retention runs: started by the schedule, by AdminService.RunRetention or by
-- `metachat retention run`; their progress is written as they go.
CREATE TABLE retention_runs (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    trigger            text        NOT NULL CHECK (trigger IN ('SCHEDULE', 'API', 'COMMAND')),
    -- The schedule's slot (RETENTION_CRON) a scheduled run was started for: one run per slot,
    -- whichever node claims it first.
    scheduled_for      timestamptz UNIQUE,
    requested_by       text        NOT NULL DEFAULT '',
    dry_run            boolean     NOT NULL,
    tenant_id          uuid,
    state              text        NOT NULL DEFAULT 'RUNNING'
        CHECK (state IN ('RUNNING', 'SUCCEEDED', 'FAILED')),
    tenants_processed  integer     NOT NULL DEFAULT 0,
    -- [{"table": ..., "examined": n, "archived": n, "deleted": n}, ...]
    tables             jsonb       NOT NULL DEFAULT '[]'::jsonb,
    error              text,
    started_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    CONSTRAINT retention_runs_finished_check CHECK ((state = 'RUNNING') = (finished_at IS NULL))
);

CREATE INDEX retention_runs_started_idx ON retention_runs (started_at DESC);

-- Row-level security: API logs and their archive are tenant-owned; the message archive too;
-- retention runs are the operators' alone.

ALTER TABLE api_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY api_logs_scope ON api_logs
    USING (app_admin_scope() OR tenant_id = app_tenant_id())
    WITH CHECK (app_admin_scope() OR tenant_id = app_tenant_id());

ALTER TABLE api_logs_archive ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_logs_archive FORCE ROW LEVEL SECURITY;
CREATE POLICY api_logs_archive_scope ON api_logs_archive
    USING (app_admin_scope() OR tenant_id = app_tenant_id())
    WITH CHECK (app_admin_scope() OR tenant_id = app_tenant_id());

ALTER TABLE messages_archive ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages_archive FORCE ROW LEVEL SECURITY;
CREATE POLICY messages_archive_scope ON messages_archive
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));

ALTER TABLE retention_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY retention_runs_scope ON retention_runs
    USING (app_admin_scope())
    WITH CHECK (app_admin_scope());
