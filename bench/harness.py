"""Timing, checking and reporting shared by the benchmark cases of bench/compare.py.

A Case is one row of a table: implementations timed side by side (medians over repeats after
warm-up) and each result checked against a float64 truth. A wrong infonative result is
recorded in FAILURES (compare.py then exits 1); a wrong anchor only prints a warning.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

# Set by configure(): repeats and time budgets per implementation.
WARMUP, REPEATS, MIN_SAMPLE_S, BUDGET_S = 2, 15, 0.03, 4.0
QUICK = False
FAILURES: list[str] = []
CASES: list["Case"] = []
LAST_MIN_S = [float("nan")]


def configure(quick: bool) -> None:
    global WARMUP, REPEATS, MIN_SAMPLE_S, BUDGET_S, QUICK
    QUICK = quick
    if quick:
        WARMUP, REPEATS, MIN_SAMPLE_S, BUDGET_S = 1, 3, 0.002, 1.0
    else:  # ~0.5 s of samples per fast kernel: robust to short bursts of noise
        WARMUP, REPEATS, MIN_SAMPLE_S, BUDGET_S = 2, 15, 0.03, 4.0


def median_seconds(fn) -> float:
    """Median wall time of one call: warm-up, calibrate calls per sample, then repeat."""
    for _ in range(WARMUP):
        fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-9)
    inner = max(1, min(100_000, int(MIN_SAMPLE_S / one)))
    repeats = REPEATS
    if one * inner * repeats > BUDGET_S:  # slow anchors: fewer samples, never under 3
        repeats = max(3, int(BUDGET_S / (one * inner)))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    LAST_MIN_S[0] = min(samples)  # kept for results.json: min vs median shows interference
    return statistics.median(samples)


def as_f64(value) -> np.ndarray:
    """Any result (numpy, python float, torch tensor of any float dtype) as float64 numpy."""
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().float().numpy() if value.dtype.itemsize == 2 \
            else value.detach().numpy()
    return np.asarray(value).astype(np.float64)


def f16_ulps(result, truth) -> float:
    """Max |result - truth| in units of the float16 spacing at truth (normal range)."""
    truth = np.asarray(truth, np.float64)
    _, e = np.frexp(truth)  # truth = m * 2**e with 0.5 <= |m| < 1
    ulp = np.maximum(np.ldexp(1.0, e - 11), 2.0**-24)
    return float(np.max(np.abs(as_f64(result) - truth) / ulp))


class Case:
    """One row of a table: implementations timed side by side and checked against a truth.

    `group` names the table the row goes to; `tol` is an absolute tolerance (default: rtol
    times the largest |truth|)."""

    def __init__(self, group: str, name: str, size: str, nbytes: int, truth, rtol: float,
                 tol: float | None = None):
        self.group, self.name, self.size, self.nbytes = group, name, size, nbytes
        self.truth = np.asarray(truth, np.float64)
        self.tol = tol if tol is not None else rtol * max(float(np.max(np.abs(self.truth))), 1e-300)
        self.ms: dict[str, float | None] = {}
        self.ms_min: dict[str, float] = {}
        self.diff: dict[str, float | None] = {}
        self.ulps: dict[str, float] = {}
        self.labels: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self.target = ""
        self.met: bool | None = None
        self.notes: list[str] = []

    def run(self, column: str, fn, *, timed=None, label: str | None = None,
            check: bool = True, ulps: bool = False) -> None:
        """fn() returns the result (checked); timed() (default fn) is what gets timed."""
        self.labels[column] = label or column
        try:
            result = fn()
            if check:
                got = as_f64(result)
                diff = float(np.max(np.abs(got - self.truth)))
                if not np.isfinite(diff):
                    diff = float("inf")
                self.diff[column] = diff
                if ulps:
                    self.ulps[column] = f16_ulps(got, self.truth)
                if not diff <= self.tol:
                    msg = f"{self.name} [{self.size}]: {column} max abs diff {diff:.3g} > {self.tol:.3g}"
                    if column == "infonative":
                        FAILURES.append(msg)
                        print(f"  !! FAIL {msg}", flush=True)
                    else:
                        print(f"  warning (anchor): {msg}", flush=True)
            del result
            self.ms[column] = 1e3 * median_seconds(timed or fn)
            self.ms_min[column] = 1e3 * LAST_MIN_S[0]
        except Exception as exc:  # noqa: BLE001 - a missing/broken impl must not stop the run
            self.ms[column] = None
            self.errors[column] = f"{type(exc).__name__}: {exc}"
            print(f"  {column}: ERROR {self.errors[column]}", flush=True)
            if column == "infonative":
                FAILURES.append(f"{self.name} [{self.size}]: infonative raised {self.errors[column]}")
        if self.ms.get(column) is not None:
            extra = f"  diff {self.diff[column]:.3g}" if column in self.diff else ""
            if column in self.ulps:
                extra += f" ({self.ulps[column]:.3f} f16 ulp)"
            print(f"  {self.labels[column]:<28s} {self.ms[column]:10.3f} ms{extra}", flush=True)

    def ratio(self, anchor: str) -> float | None:
        a, i = self.ms.get(anchor), self.ms.get("infonative")
        return a / i if a and i else None

    def set_target(self, text: str, met: bool | None) -> None:
        self.target, self.met = text, met

    def gbps(self, column: str, nbytes: int | None = None) -> float | None:
        ms = self.ms.get(column)
        return (nbytes or self.nbytes) / (ms * 1e-3) / 1e9 if ms else None

    def to_json(self) -> dict:
        return {"group": self.group, "case": self.name, "size": self.size, "bytes": self.nbytes,
                "median_ms": self.ms, "min_ms": self.ms_min,
                "labels": self.labels, "max_abs_diff": self.diff, "f16_ulps": self.ulps,
                "errors": self.errors, "target": self.target, "met": self.met,
                "notes": self.notes, "ratio_anchor_over_infonative":
                {a: self.ratio(a) for a in self.ms if a != "infonative" and self.ratio(a)}}


def new_case(group, name, size, nbytes, truth, rtol, tol=None) -> Case:
    print(f"\n== {name}  [{size}]", flush=True)
    case = Case(group, name, size, nbytes, truth, rtol, tol)
    CASES.append(case)
    return case


def at_least(case: Case, anchor: str, factor: float) -> bool | None:
    r = case.ratio(anchor)
    return None if r is None else r >= factor


def all_met(*flags) -> bool | None:
    if any(f is False for f in flags):
        return False
    return None if any(f is None for f in flags) else True


def shape_str(shape, dtype) -> str:
    return "x".join(str(s) for s in shape) + f" {np.dtype(dtype).name}"


# ---- report ---------------------------------------------------------------------------------
def cell(case: Case, column: str) -> str:
    ms = case.ms.get(column)
    if column not in case.ms:
        return "—"
    if ms is None:
        return "error"
    if column in ("infonative", "stream_read"):
        return f"{ms:.3f}"
    r = case.ratio(column)
    return f"{ms:.3f} ({r:.1f}x)" if r else f"{ms:.3f}"


def status(case: Case) -> str:
    word = {True: "MET", False: "NOT MET", None: "n/a"}[case.met]
    return word + (" (quick, indicative)" if QUICK and case.met is not None else "")


def tables(group: str, columns: list[str]) -> tuple[str, str]:
    """The timing table and the accuracy table of one group of cases; columns: the
    implementation columns after infonative (anchors, and stream_read last if used)."""
    cases = [c for c in CASES if c.group == group]
    names = {"stream_read": "read ms"}
    head = (["case", "size", "infonative ms"]
            + [names.get(c, f"{c} ms (x)") for c in columns] + ["target", "status", "notes"])
    rows = [[c.name, c.size, cell(c, "infonative")] + [cell(c, col) for col in columns]
            + [c.target, status(c), "; ".join(c.notes)] for c in cases]
    acc_head = ["case", "size", "implementation", "max abs diff vs truth", "f16 ulps", "tolerance"]
    acc = []
    for c in cases:
        for col in ["infonative"] + columns:
            if col in c.diff:
                acc.append([c.name, c.size, c.labels[col], f"{c.diff[col]:.3g}",
                            f"{c.ulps[col]:.3f}" if col in c.ulps else "", f"{c.tol:.3g}"])
    return render(head, rows), render(acc_head, acc)


def render(head, rows) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def plain(table_md: str) -> str:
    """The markdown table with aligned columns for the terminal."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in table_md.splitlines() if not line.startswith("|---")]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows)


def cpu_name() -> str:
    import platform

    try:
        with open("/proc/cpuinfo") as fh:
            return next(line.split(":", 1)[1].strip() for line in fh
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()
