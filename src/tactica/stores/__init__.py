"""Storage backends. The only package that talks to databases (memory, SQLite, PostgreSQL)."""
