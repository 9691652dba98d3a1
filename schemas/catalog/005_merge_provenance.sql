-- seqcurate catalog, schema version 4: where merged rows came from (`seqcurate merge`).
--
-- Every catalog gets a random identity when it is created or migrated, so that a merge can
-- recognise a source it has merged before (whatever its path) and add nothing the second time.
-- Each ingest or import run merged from another catalog is copied as a new run of this
-- catalog (new id); merged_runs says which source catalog and which of its runs it was.

CREATE TABLE catalog_identity (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    uuid      TEXT    NOT NULL                                -- 32 hex digits, random
);
INSERT INTO catalog_identity (singleton, uuid) VALUES (1, lower(hex(randomblob(16))));

CREATE TABLE merged_runs (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES ingest_runs(id) ON DELETE CASCADE,  -- the run's copy in this catalog
    source_uuid     TEXT    NOT NULL,                         -- catalog_identity.uuid of the source catalog
    source_path     TEXT    NOT NULL,                         -- the source catalog's file when merged
    source_run_id   INTEGER NOT NULL,                         -- the run's id in the source catalog
    merged_at       TEXT    NOT NULL,
    UNIQUE (source_uuid, source_run_id)
);
