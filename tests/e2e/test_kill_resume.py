"""Exactly once: SIGKILL a catch-up at random points, restart it, and get exactly a clean rebuild."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.engagements import Engagements
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from projections import Projector
from tests.helpers.paths import ROOT
from tests.helpers.scripted import BOTH, T, dump

CHILD = """
import sys
from panel.application import PanelApp
from panel.config import StoreLocation
from projections import Projector, make_engine
dialect, target, schema = sys.argv[1:4]
location = StoreLocation(dialect, target, schema)
app = PanelApp(env=location.env())
Projector(app, make_engine(location), batch_size=7).catch_up(progress=lambda done, total: print(done, flush=True))
print("done", flush=True)
"""


def _fill(app: PanelApp) -> int:
    people = [
        SignUp(
            ref=f"K{i:04d}",
            channel="online",
            attributes={"age_band": ["18-21", "35-49", "65+"][i % 3], "imd_decile": str(i % 10 + 1)},
            consents=BOTH,
            at=T(1, 5),
        )
        for i in range(400)
    ]
    Registration(app).register_many(people, batch=100)
    eid = Engagements(app).open_engagement(
        name="Kill", purpose="k", kind="consult", sessions=[date(2026, 2, 10)], day_rate_pence=0, at=T(1, 1)
    )
    ids = [app.participant_id_for(s.ref) for s in people]
    Participation(app).invite(eid, ids[:120], at=T(1, 20))
    for i, pid in enumerate(ids[:60]):
        Participation(app).respond(eid, pid, accept=True, at=T(1, 21) + timedelta(minutes=i))
        if i % 2:
            Participation(app).attend(eid, pid, date(2026, 2, 10), half_day=i % 4 == 1, at=T(2, 10, 17))
    for pid in ids[60:70]:
        Participation(app).withdraw_consent(pid, "contact", at=T(1, 15))
    for pid in ids[:3]:
        Participation(app).erase(pid, "erasure request", at=T(3, 1))
    Participation(app).grant_consent(ids[5], ConsentSpec("data_processing", "v2", "written", "amy", T(1, 6)))
    return int(app.recorder.max_notification_id() or 0)


def _position(projector: Projector) -> int:
    return min(s.position for s in projector.status())


def test_sigkill_at_random_points_then_resume_equals_clean_rebuild(
    app: PanelApp, location: StoreLocation, projector: Projector
) -> None:
    head = _fill(app)
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed_mid_way = 0
    positions = []
    for _ in range(12):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, location.dialect, location.target, location.schema],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert child.stdout is not None
        stamps = []
        for _ in range(rng.randint(2, 12)):  # let it commit a random number of batches...
            if not child.stdout.readline():
                break
            stamps.append(time.monotonic())
        batch = (stamps[-1] - stamps[0]) / (len(stamps) - 1) if len(stamps) > 1 else 0.02
        time.sleep(rng.uniform(0, 1.5 * batch))  # ...then kill it anywhere in the next batch
        child.send_signal(signal.SIGKILL)
        child.wait()
        position = _position(projector)
        positions.append(position)
        killed_mid_way += 0 < position < head
        if position == head:
            break
    assert killed_mid_way >= 3, f"seed {seed}: positions {positions}"
    assert positions == sorted(positions), f"seed {seed}: a kill lost committed work: {positions}"
    projector.catch_up()
    resumed = dump(projector)
    projector.batch_size = 5000
    projector.rebuild()
    assert dump(projector) == resumed, f"seed {seed}"
    assert len(resumed["fatigue.activity"]) == 120 + 60 + 30
    assert len(resumed["consent.log"]) == 400 * 2 + 10 + 1
