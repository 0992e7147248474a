-- A dry run reads sessions and dreams like a learning run, then stops: its insights and practice
-- items are stored for review, but it trains, promotes and consumes nothing, and its insights are
-- never replayed by later runs.
ALTER TABLE learning_runs ADD COLUMN dry_run boolean NOT NULL DEFAULT false;
