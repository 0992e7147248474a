-- Idempotency-Key on chat requests: the first request with a key claims it (response NULL while
-- it runs); its turn and its response are stored in one transaction, so a retry gets the same
-- response and the log holds one turn. Keys are per tenant: one tenant's key never finds
-- another's response.
CREATE TABLE idempotency_keys (
    tenant_id          bigint NOT NULL REFERENCES tenants(id),
    key                text NOT NULL,
    fingerprint        bytea NOT NULL,
    session_public_id  text,
    response           jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    completed_at       timestamptz,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
