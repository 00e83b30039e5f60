"""Campaign details for a long-running process (the web service): read whole once, then checked, not re-read.

Every page of an application needs its campaign: the window, the questions, the notice text. Reading them
replays the campaign's and its engagement's events (five queries and the decoding). The cache keeps the details
with the versions they were read at; a later read asks the store only whether either aggregate has an event
after that version (one indexed EXISTS over both, nothing decoded) and reads the details again when one has. A
campaign closed or changed by staff, or its engagement renamed, is therefore seen by the very next request, as
without the cache. Campaigns that do not exist are not kept.
"""

from __future__ import annotations

import threading

from panel.application import PanelApp
from panel.campaigns import CampaignDetails, Campaigns, Versions
from panel.store.chained import ChainedRecorder


class CampaignCache:
    """The details of up to ``size`` campaigns, each with the versions it was read at."""

    def __init__(self, app: PanelApp, size: int = 256) -> None:
        self.app, self.size = app, size
        self.entries: dict[str, tuple[CampaignDetails, Versions]] = {}
        self.lock = threading.Lock()

    def get(self, slug: str) -> CampaignDetails:
        """``Campaigns.get``, without the replay when nothing changed (CampaignNotFoundError as it raises it)."""
        entry = self.entries.get(slug)
        if entry is not None and not self.moved(entry[1]):
            return entry[0]
        details, versions = Campaigns(self.app).versioned(slug)
        with self.lock:
            self.entries.pop(slug, None)
            if len(self.entries) >= self.size:  # the oldest read goes first
                self.entries.pop(next(iter(self.entries)))
            self.entries[slug] = (details, versions)
        return details

    def moved(self, versions: Versions) -> bool:
        """Whether any of the aggregates has an event after the version its details were read at."""
        recorder = self.app.recorder
        if isinstance(recorder, ChainedRecorder):  # the store's own recorders: one query
            return recorder.moved_after(versions)
        return any(recorder.select_events(aid, gt=version, limit=1) for aid, version in versions)
