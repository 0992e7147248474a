-- Insights a later session superseded ("sorry, I meant Rotterdam"; "I left Deloitte"): retired,
-- never replayed again, and pointing at the insight that replaced them. A replacing insight's
-- erasure leaves the retired one retired, with replaced_by NULL.
ALTER TABLE insights ADD COLUMN replaced_by bigint REFERENCES insights(id) ON DELETE SET NULL;
ALTER TABLE insights DROP CONSTRAINT insights_status_check;
ALTER TABLE insights ADD CONSTRAINT insights_status_check
    CHECK (status IN ('active', 'quarantined', 'rejected', 'retired'));
-- ON DELETE SET NULL looks the referencing rows up: erasing a session must not scan insights.
CREATE INDEX insights_by_replacement ON insights (replaced_by) WHERE replaced_by IS NOT NULL;
