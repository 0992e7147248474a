-- API keys. The secret is shown once at creation; only its SHA-256 is stored (keys are 256-bit
-- random, so a slow hash adds nothing). `key_id` is the public part of the key, used to find
-- the row; the digest is then compared in constant time. Every key belongs to a tenant.
CREATE TABLE api_keys (
    id           bigserial PRIMARY KEY,
    tenant_id    bigint NOT NULL REFERENCES tenants(id),
    key_id       text NOT NULL UNIQUE,
    digest       bytea NOT NULL,
    name         text NOT NULL DEFAULT '',
    scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['chat', 'admin']::text[]
                                        AND cardinality(scopes) > 0),
    -- false: what this key's requests say is served and logged, never learned from.
    learn        boolean NOT NULL DEFAULT true,
    -- Per-minute limits; NULL takes the server's default (LUCID_RATE_RPM / LUCID_RATE_TPM).
    rpm          integer CHECK (rpm > 0),
    tpm          integer CHECK (tpm > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, id);
