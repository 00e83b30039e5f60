"""The scale benchmark's fatigue-cli part keeps each command's best time and highest peak (bench/scale_commands.py)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from tests.helpers.paths import ROOT


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scale_commands", ROOT / "bench" / "scale_commands.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_the_best_time_and_the_highest_peak_in_mib_are_kept() -> None:
    bench = _module()
    runs = [bench.Run(6.5, 97_280), bench.Run(5.25, 102_400), bench.Run(7.0, 96_256)]

    assert bench.summarise(runs) == (5.25, 100.0)  # ru_maxrss is in KiB: 102,400 KiB is 100 MiB


def test_no_runs_is_an_error_not_a_zero() -> None:
    with pytest.raises(ValueError, match="no runs"):
        _module().summarise([])
