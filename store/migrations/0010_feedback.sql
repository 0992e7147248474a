-- Feedback on answers: a client rates a chat completion by the `id` it received, so each turn
-- keeps that id. A learning run records the feedback it read (its lineage), as it does sessions:
-- feedback taken by a run that consumed its sessions is not read again.
ALTER TABLE turns ADD COLUMN completion_id text;
CREATE INDEX turns_by_completion_id ON turns (completion_id);
CREATE INDEX feedback_by_turn ON feedback (turn_id);
CREATE TABLE run_feedback (
    run_id      bigint NOT NULL REFERENCES learning_runs(id) ON DELETE CASCADE,
    feedback_id bigint NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,
    PRIMARY KEY (run_id, feedback_id)
);
