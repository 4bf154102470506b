-- 0001_identity: tenants, admin users, API keys and the audit log, with row-level security.
--
-- Row-level security (see docs/decisions.md): every table here is FORCE ROW LEVEL SECURITY, so
-- even the owning app role sees rows only when a transaction set a scope with set_config(..., true):
--   app.tenant_id = '<uuid>'  that tenant's rows     (PostgresPool.withTenantTransaction)
--   app.scope     = 'admin'   every row              (PostgresPool.withAdminTransaction)
-- Without a scope, the tables look empty and refuse writes.

CREATE FUNCTION app_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE FUNCTION app_admin_scope() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(current_setting('app.scope', true), '') = 'admin' $$;

CREATE FUNCTION app_touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TABLE tenants (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    enabled     boolean     NOT NULL DEFAULT true,
    settings    jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER tenants_touch_updated_at BEFORE UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION app_touch_updated_at();

CREATE TABLE admin_users (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email       text        NOT NULL CHECK (email = btrim(email) AND email LIKE '_%@_%'),
    role        text        NOT NULL CHECK (role IN ('SUPER', 'STANDARD')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Email addresses are unique whatever their case.
CREATE UNIQUE INDEX admin_users_email_key ON admin_users (lower(email));

CREATE TRIGGER admin_users_touch_updated_at BEFORE UPDATE ON admin_users
    FOR EACH ROW EXECUTE FUNCTION app_touch_updated_at();

CREATE TABLE api_keys (
    id                           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_kind                   text        NOT NULL CHECK (owner_kind IN ('admin', 'tenant')),
    admin_id                     uuid        REFERENCES admin_users (id) ON DELETE CASCADE,
    tenant_id                    uuid        REFERENCES tenants (id) ON DELETE CASCADE,
    label                        text        NOT NULL CHECK (length(btrim(label)) BETWEEN 1 AND 100),
    -- The public part of the key, shown in listings and used to find the row.
    prefix                       text        NOT NULL UNIQUE,
    last_four                    text        NOT NULL CHECK (length(last_four) = 4),
    key_hash                     bytea       NOT NULL,
    active                       boolean     NOT NULL DEFAULT true,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    last_used_at                 timestamptz,
    rotated_at                   timestamptz,
    expires_at                   timestamptz,
    -- A requested rotation waiting for confirmation.
    pending_rotation_token_hash  bytea,
    pending_rotation_expires_at  timestamptz,
    -- The key replaced by the last rotation, still accepted until previous_key_valid_until.
    previous_key_hash            bytea,
    previous_key_valid_until     timestamptz,
    CONSTRAINT api_keys_owner_check CHECK (
        (owner_kind = 'admin' AND admin_id IS NOT NULL AND tenant_id IS NULL)
        OR (owner_kind = 'tenant' AND tenant_id IS NOT NULL AND admin_id IS NULL)
    ),
    CONSTRAINT api_keys_pending_rotation_check CHECK (
        (pending_rotation_token_hash IS NULL) = (pending_rotation_expires_at IS NULL)
    ),
    CONSTRAINT api_keys_previous_key_check CHECK (
        (previous_key_hash IS NULL) = (previous_key_valid_until IS NULL)
    )
);

-- A label names one active key per owner; revoked keys keep theirs without blocking reuse.
CREATE UNIQUE INDEX api_keys_admin_label_key ON api_keys (admin_id, label) WHERE owner_kind = 'admin' AND active;
CREATE UNIQUE INDEX api_keys_tenant_label_key ON api_keys (tenant_id, label) WHERE owner_kind = 'tenant' AND active;
CREATE INDEX api_keys_tenant_id_idx ON api_keys (tenant_id) WHERE tenant_id IS NOT NULL;
CREATE INDEX api_keys_admin_id_idx ON api_keys (admin_id) WHERE admin_id IS NOT NULL;

CREATE TABLE audit_log (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The tenant the action concerned, if any; kept (no foreign key) after the tenant is deleted.
    tenant_id   uuid,
    actor       text        NOT NULL,
    action      text        NOT NULL,
    target      text,
    request_id  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    details     jsonb       NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX audit_log_created_at_idx ON audit_log (created_at);
CREATE INDEX audit_log_tenant_created_at_idx ON audit_log (tenant_id, created_at) WHERE tenant_id IS NOT NULL;

-- Row-level security.

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_scope ON tenants
    USING (app_admin_scope() OR id = app_tenant_id())
    WITH CHECK (app_admin_scope() OR id = app_tenant_id());

ALTER TABLE admin_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin_users FORCE ROW LEVEL SECURITY;
CREATE POLICY admin_users_scope ON admin_users
    USING (app_admin_scope())
    WITH CHECK (app_admin_scope());

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY api_keys_scope ON api_keys
    USING (app_admin_scope() OR tenant_id = app_tenant_id())
    WITH CHECK (app_admin_scope() OR tenant_id = app_tenant_id());

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_scope ON audit_log
    USING (app_admin_scope() OR tenant_id = app_tenant_id())
    WITH CHECK (app_admin_scope() OR tenant_id = app_tenant_id());
