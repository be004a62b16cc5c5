"""Call records: a record of every call (SQLite or PostgreSQL) and its recording, streamed to disk."""
