-- Lucid's schema for the whole mission: tenants, chat sessions and their turns, feedback,
-- what learning runs derived from sessions (insights, practice), the runs themselves, and the
-- adapter versions they produced, with lineage back to the sessions that fed them.

CREATE TABLE tenants (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    -- Stop automatic promotion: candidates are still trained and gated, never promoted by a run.
    pinned      boolean NOT NULL DEFAULT false,
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (name) VALUES ('default');

CREATE TABLE sessions (
    id          uuid PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants(id),
    -- What clients see and send back as X-Session-Id: generated, or chosen by the client.
    public_id   text NOT NULL,
    user_id     text,
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- false: served and logged, never learned from (opt-out).
    learn       boolean NOT NULL DEFAULT true,
    turn_count  integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, public_id)
);
CREATE INDEX sessions_by_recency ON sessions (tenant_id, created_at DESC, id);

CREATE TABLE learning_runs (
    id            bigserial PRIMARY KEY,
    tenant_id     bigint NOT NULL REFERENCES tenants(id),
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    trigger       text NOT NULL DEFAULT 'manual' CHECK (trigger IN ('manual', 'schedule')),
    stage         text,
    progress      jsonb NOT NULL DEFAULT '{}'::jsonb,
    config        jsonb NOT NULL DEFAULT '{}'::jsonb,
    metrics       jsonb NOT NULL DEFAULT '{}'::jsonb,
    error         text,
    task_id       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    heartbeat_at  timestamptz,
    finished_at   timestamptz
);
CREATE INDEX learning_runs_by_recency ON learning_runs (tenant_id, created_at DESC);

-- Lineage: exactly which sessions fed a run.
CREATE TABLE run_sessions (
    run_id      bigint NOT NULL REFERENCES learning_runs(id) ON DELETE CASCADE,
    session_id  uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    PRIMARY KEY (run_id, session_id)
);
CREATE INDEX run_sessions_by_session ON run_sessions (session_id);

CREATE TABLE adapter_versions (
    id          bigserial PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants(id),
    version     integer NOT NULL,
    -- The engine's name for these weights; never reused for other weights (prefix cache).
    name        text NOT NULL UNIQUE,
    parent_id   bigint REFERENCES adapter_versions(id),
    run_id      bigint REFERENCES learning_runs(id),
    base_model  text NOT NULL,
    path        text NOT NULL,
    sha256      text NOT NULL,
    config      jsonb NOT NULL DEFAULT '{}'::jsonb,
    metrics     jsonb NOT NULL DEFAULT '{}'::jsonb,
    status      text NOT NULL DEFAULT 'candidate'
                CHECK (status IN ('candidate', 'active', 'retired', 'rejected', 'tainted')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    promoted_at timestamptz,
    UNIQUE (tenant_id, version)
);

-- 'active', 'previous', 'candidate' per tenant; adapter_version_id NULL means the base model.
-- Moved together in one transaction.
CREATE TABLE adapter_aliases (
    tenant_id          bigint NOT NULL REFERENCES tenants(id),
    alias              text NOT NULL CHECK (alias IN ('active', 'previous', 'candidate')),
    adapter_version_id bigint REFERENCES adapter_versions(id),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, alias)
);

CREATE TABLE turns (
    id                 bigserial PRIMARY KEY,
    session_id         uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq                integer NOT NULL,
    request_id         text NOT NULL,
    model_requested    text NOT NULL,
    model_served       text NOT NULL,
    adapter_version_id bigint REFERENCES adapter_versions(id) ON DELETE SET NULL,
    messages           jsonb NOT NULL,
    params             jsonb NOT NULL DEFAULT '{}'::jsonb,
    response           text NOT NULL,
    finish_reason      text,
    -- completed: the client received all of it; aborted: the client left or the engine failed.
    status             text NOT NULL CHECK (status IN ('completed', 'aborted')),
    prompt_tokens      integer,
    completion_tokens  integer,
    latency_ms         double precision NOT NULL,
    ttft_ms            double precision,
    user_id            text,
    metadata           jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Digest of (user, messages + response): a later request extending this conversation
    -- carries these messages as its prefix and joins this session.
    thread_digest      bytea NOT NULL,
    idempotency_key    text,
    started_at         timestamptz NOT NULL,
    completed_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, seq)
);
CREATE INDEX turns_by_thread_digest ON turns (thread_digest);

CREATE TABLE feedback (
    id          bigserial PRIMARY KEY,
    turn_id     bigint NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
    rating      smallint CHECK (rating BETWEEN -1 AND 1),
    comment     text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The teacher's privileged context, derived from one session.
CREATE TABLE insights (
    id          bigserial PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    run_id      bigint REFERENCES learning_runs(id) ON DELETE SET NULL,
    kind        text NOT NULL DEFAULT 'fact',
    text        text NOT NULL,
    status      text NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'quarantined', 'rejected')),
    reason      text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX insights_by_session ON insights (session_id);

-- Practice the model wrote for itself (dreaming), with provenance and what the filter decided.
CREATE TABLE practice_items (
    id              bigserial PRIMARY KEY,
    run_id          bigint NOT NULL REFERENCES learning_runs(id) ON DELETE CASCADE,
    insight_id      bigint REFERENCES insights(id) ON DELETE CASCADE,
    kind            text NOT NULL,
    split           text NOT NULL CHECK (split IN ('train', 'heldout')),
    prompt          text NOT NULL,
    reference       text,
    checker         jsonb,
    teacher_answers jsonb NOT NULL DEFAULT '[]'::jsonb,
    kept            boolean NOT NULL DEFAULT true,
    drop_reason     text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX practice_items_by_run ON practice_items (run_id);
