"""The bulk rebuild of fresh view generations: the load (``rebuild``), its worker processes (``processes`` starts
them, ``worker`` is one) and the rows it writes in one go (``rows``: COPY on PostgreSQL, ``executemany`` on SQLite)."""
