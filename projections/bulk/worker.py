"""``python -m projections.bulk.worker``: one worker process of a bulk rebuild (see ``projections.bulk.rebuild``)."""

from projections.bulk.rebuild import worker

if __name__ == "__main__":
    worker()
