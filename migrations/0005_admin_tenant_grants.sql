-- 0005_admin_tenant_grants: which tenants a STANDARD admin may act on.
--
-- Tenant-scoped services (conversations first) accept an admin key plus the tenant's id in
-- `x-tenant-id`: a SUPER admin reaches every tenant, a STANDARD admin only the tenants granted to
-- it here (SecurityService.GrantTenantAccess / RevokeTenantAccess). A grant disappears with its
-- admin or its tenant. Only the admin scope sees or changes grants (docs/decisions.md).

CREATE TABLE admin_tenant_grants (
    admin_id    uuid        NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
    tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (admin_id, tenant_id)
);

CREATE INDEX admin_tenant_grants_tenant_id_idx ON admin_tenant_grants (tenant_id);

ALTER TABLE admin_tenant_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin_tenant_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY admin_tenant_grants_scope ON admin_tenant_grants
    USING (app_admin_scope())
    WITH CHECK (app_admin_scope());
