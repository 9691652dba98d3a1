-- seqcurate catalog for PostgreSQL, schema version 2: how a run ended, and which process ran
-- it (see schemas/catalog/002_run_outcome.sql). PostgreSQL changes the CHECK in place.

ALTER TABLE ingest_runs DROP CONSTRAINT ingest_runs_status_check;
ALTER TABLE ingest_runs ADD CONSTRAINT ingest_runs_status_check
    CHECK (status IN ('running', 'finished', 'failed', 'interrupted'));
ALTER TABLE ingest_runs ADD COLUMN pid BIGINT;                -- process of the run; NULL for runs before version 2
ALTER TABLE ingest_runs ADD COLUMN host TEXT;                 -- host name of that process
CREATE INDEX ingest_runs_running ON ingest_runs (status) WHERE status = 'running';
