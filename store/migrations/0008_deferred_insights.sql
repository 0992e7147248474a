-- Statements a run could not learn without changing answers it must keep (the gate's locality
-- check): held back as 'deferred' insights and tried again on later nights, `attempts` counting
-- the nights that tried them; after the last, 'rejected' with the reason kept for review.
ALTER TABLE insights ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE insights DROP CONSTRAINT insights_status_check;
ALTER TABLE insights ADD CONSTRAINT insights_status_check
    CHECK (status IN ('active', 'quarantined', 'rejected', 'retired', 'deferred'));
