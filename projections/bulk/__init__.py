"""The bulk rebuild of fresh view generations: the load (``rebuild``), its worker processes (``worker``) and
the rows it writes in one go (``rows``: COPY on PostgreSQL, ``executemany`` on SQLite)."""
