-- Erasure requests: what was asked to be forgotten and what it touched, without the content.
CREATE TABLE erasures (
    id             bigserial PRIMARY KEY,
    tenant_id      bigint NOT NULL REFERENCES tenants(id),
    scope          text NOT NULL CHECK (scope IN ('session', 'user')),
    subject        text NOT NULL,  -- the session id or the user id named in the request
    sessions       integer NOT NULL,
    turns          integer NOT NULL,
    insights       integer NOT NULL,
    practice_items integer NOT NULL,
    tainted        text[] NOT NULL DEFAULT '{}',
    actor          text NOT NULL DEFAULT 'admin',
    created_at     timestamptz NOT NULL DEFAULT now()
);
