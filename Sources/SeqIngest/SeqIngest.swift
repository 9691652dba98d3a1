// Placeholder until ingest lands.
