"""The store: opening and creating it, its recorders, the key store and sealing, bulk writes, conflicts.

Everything here that reaches past the eventsourcing library's public API (raw SQL on its tables,
the bulk paths' extensions of its recorders) lives in this package, behind the protocols in
``panel.store.protocols``.
"""
