"""``python -m projections.bulk_worker``: one worker process of a bulk rebuild (see ``projections.bulk``)."""

from projections.bulk import worker

if __name__ == "__main__":
    worker()
