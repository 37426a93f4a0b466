"""Runtime configuration: get_config / show_config and the INFONATIVE_ISA override.

The suite runs once per level (INFONATIVE_ISA=baseline, avx2, avx512); these tests check that
the level actually in use is the one requested (capped by what the CPU and build support)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import pytest

import infonative as inf

LEVELS = ["baseline", "avx2", "avx512"]
KEYS = {"version", "isa", "isa_best", "isa_compiled", "isa_override", "compiler", "openmp",
        "num_threads"}


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def test_keys_and_types():
    cfg = inf.get_config()
    assert isinstance(cfg, dict)
    assert set(cfg) >= KEYS
    assert isinstance(cfg["version"], str) and cfg["version"]
    assert cfg["isa"] in LEVELS
    assert cfg["isa_best"] in LEVELS
    assert isinstance(cfg["isa_compiled"], (list, tuple))
    assert "baseline" in cfg["isa_compiled"]
    assert set(cfg["isa_compiled"]) <= set(LEVELS)
    assert cfg["isa_best"] in cfg["isa_compiled"]
    assert cfg["isa"] in cfg["isa_compiled"]
    assert LEVELS.index(cfg["isa"]) <= LEVELS.index(cfg["isa_best"])
    assert isinstance(cfg["compiler"], str) and cfg["compiler"]
    assert isinstance(cfg["openmp"], bool)
    assert isinstance(cfg["num_threads"], int) and cfg["num_threads"] >= 1
    assert cfg["num_threads"] == inf.get_num_threads()


def test_version_matches_metadata():
    from importlib.metadata import version

    assert inf.get_config()["version"] == version("infonative")


def test_isa_follows_environment():
    cfg = inf.get_config()
    env = os.environ.get("INFONATIVE_ISA")
    assert cfg["isa_override"] == env
    if env is None:
        assert cfg["isa"] == cfg["isa_best"]
    else:
        assert env in LEVELS
        # the override caps the level: the requested one when the CPU + build support it
        expected = LEVELS[min(LEVELS.index(env), LEVELS.index(cfg["isa_best"]))]
        assert cfg["isa"] == expected


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 only")
def test_isa_best_consistent_with_cpu_flags():
    flags = _cpu_flags()
    if flags is None:
        pytest.skip("no /proc/cpuinfo")
    cfg = inf.get_config()
    if "avx512f" not in flags:
        assert cfg["isa_best"] != "avx512"
    if not {"avx2", "fma"} <= flags:
        assert cfg["isa_best"] == "baseline"
    if {"avx2", "fma"} <= flags and "avx2" in cfg["isa_compiled"]:
        assert cfg["isa_best"] in ("avx2", "avx512")


def _config_in_subprocess(env_value):
    env = dict(os.environ)
    if env_value is None:
        env.pop("INFONATIVE_ISA", None)
    else:
        env["INFONATIVE_ISA"] = env_value
    code = textwrap.dedent("""
        import json, infonative
        import numpy as np
        cfg = infonative.get_config()
        x = np.linspace(-30, 30, 100_001)
        r = float(infonative.logsumexp(x))
        print(json.dumps({"isa": cfg["isa"], "best": cfg["isa_best"],
                          "override": cfg["isa_override"], "r": r}))
        """)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    import json

    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("level", LEVELS)
def test_every_supported_level_can_be_selected(level):
    cfg = inf.get_config()
    out = _config_in_subprocess(level)
    assert out["override"] == level
    if level in cfg["isa_compiled"] and LEVELS.index(level) <= LEVELS.index(cfg["isa_best"]):
        assert out["isa"] == level
    else:
        assert LEVELS.index(out["isa"]) <= LEVELS.index(level)
    # every level computes the same value to float64 accuracy
    import numpy as np
    from scipy.special import logsumexp

    expected = logsumexp(np.linspace(-30, 30, 100_001))
    assert out["r"] == pytest.approx(expected, rel=1e-14)


def test_no_override_selects_best():
    out = _config_in_subprocess(None)
    assert out["override"] is None
    assert out["isa"] == out["best"]


def test_show_config_prints(capsys):
    inf.show_config()
    text = capsys.readouterr().out
    cfg = inf.get_config()
    assert cfg["isa"] in text
    assert cfg["version"] in text
