"""Storage backends, the only package that imports database drivers.

One package per backend (`memory`, `sqlite`, `postgres`, `sqlalchemy`) holds its stores,
repositories and units of work; `sql` holds the units that run on any tactica SQL
connection, and the private `_sql` the SQL the three SQL backends share.
"""
