-- Every change of a tenant's active adapter, in order: what rollback walks back through, and
-- the audit trail an operator reads at 3 a.m. A NULL version means the base model.
CREATE TABLE adapter_events (
    id            bigserial PRIMARY KEY,
    tenant_id     bigint NOT NULL REFERENCES tenants(id),
    action        text NOT NULL CHECK (action IN ('promote', 'rollback', 'pin', 'unpin')),
    from_version  bigint REFERENCES adapter_versions(id),
    to_version    bigint REFERENCES adapter_versions(id),
    actor         text NOT NULL DEFAULT 'admin',
    reason        text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX adapter_events_by_tenant ON adapter_events (tenant_id, id DESC);

INSERT INTO adapter_aliases (tenant_id, alias, adapter_version_id)
SELECT id, alias, NULL FROM tenants CROSS JOIN (VALUES ('active'), ('previous')) AS a(alias)
ON CONFLICT DO NOTHING;
