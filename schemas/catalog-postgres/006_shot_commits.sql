-- seqcurate catalog for PostgreSQL, schema version 6: videos committed shot by shot
-- (see schemas/catalog/006_shot_commits.sql). PostgreSQL changes the CHECKs in place.
ALTER TABLE videos DROP CONSTRAINT videos_status_check;
ALTER TABLE videos ADD CONSTRAINT videos_status_check CHECK (status IN ('ok', 'failed', 'partial'));
ALTER TABLE videos DROP CONSTRAINT videos_check;
ALTER TABLE videos ADD CONSTRAINT videos_check CHECK (status <> 'failed' OR failure_reason IS NOT NULL);
ALTER TABLE videos ADD COLUMN claimed_by_run BIGINT REFERENCES ingest_runs(id) ON DELETE SET NULL;  -- the run ingesting a partial video
