"""The benchmark's ratio targets compare two scenarios measured in alternation (benchmarks/run.py, ``paired``)."""
from benchmarks.run import Pair, paired, pair_slice


def slices(name, calls, per_second):
    """A scenario whose wrk slices last 2 s and answer ``per_second`` requests a second, noting each call."""
    def measure():
        calls.append(name)
        return {"requests": 2 * per_second, "seconds": 2.0, "answers": {"200": 2 * per_second}, "socket_errors": 0,
                "p50_ms": 1000 / per_second if per_second else 0.0}
    return measure


def test_the_two_scenarios_alternate_slice_by_slice():
    calls = []
    paired(slices("folder", calls, 300), slices("trivial", calls, 6000), rounds=3)
    assert calls == ["folder", "trivial"] * 3


def test_each_side_is_its_requests_over_its_seconds_and_keeps_its_answers():
    calls, speeds = [], iter([100, 300, 500])  # a machine that speeds up during the pair
    drifting = slices("folder", calls, 0)

    def folder():
        result = drifting()
        speed = next(speeds)
        return dict(result, requests=2 * speed, answers={"200": 2 * speed - 1, "500": 1}, p50_ms=1000 / speed)

    measured, reference = paired(folder, slices("trivial", calls, 6000), rounds=3)
    assert measured["per_second"] == 300
    assert measured["answers"] == {"200": 1797, "500": 3}
    assert measured["p50_ms"] == 1000 / 300  # the median of the slices' p50s: 10, 3.33 and 2 ms
    assert reference["per_second"] == 6000 and reference["requests"] == 36000


def test_a_latency_pair_compares_p50s_and_a_load_pair_throughputs():
    fast = {"per_second": 600.0, "p50_ms": 2.0}
    slow = {"per_second": 300.0, "p50_ms": 4.0}
    assert Pair(slow, fast, "page 1", alone=True).ratio == 2.0
    assert Pair(slow, fast, "trivial").ratio == 0.5


def test_a_slice_lasts_a_third_of_a_row_in_whole_seconds():
    assert pair_slice(10) == 3
    assert pair_slice(2) == 1


def result(per_second, p50_ms=10.0, p99_ms=20.0, answers=None):
    return {"per_second": per_second, "requests": per_second, "seconds": 1.0, "p50_ms": p50_ms, "p99_ms": p99_ms,
            "answers": answers or {"200": per_second}, "socket_errors": 0}


def test_the_report_reads_its_ratio_targets_from_the_pairs(monkeypatch):
    import benchmarks.run as run
    from argparse import Namespace

    from benchmarks.generate import Scale

    monkeypatch.setattr(run, "machine", lambda: "a test machine")
    small, large = Scale(appointments=10_000), Scale(appointments=1_000_000)
    deep = f"{run.DEEP_LABEL}1,000"
    rows = {run.TRIVIAL: result(6000), run.BOOKING: result(300, answers={"201": 300}),
            run.HOT_ROW: result(300, answers={"201": 20, "409:quota_exhausted": 280}),
            run.STACK_FLOOR: result(900, answers={"201": 900}), f"{deep}, 1,000,000 appointments": result(600)}
    pairs = {label: Pair(result(per_second), result(6000), run.TRIVIAL) for label, per_second in
             (("folder home", 700), ("zone folder home", 500), ("agent folder home", 600),
              ("appointments list API", 900), (run.STACK_FLOOR, 1200))}
    pairs[run.BOOKING] = Pair(result(700, answers={"201": 700}), result(1000, answers={"201": 1000}), run.STACK_FLOOR)
    for label, p50 in ((f"{deep} (alone)", 2.5), ("folder home (alone)", 6.0), ("appointments list API (alone)", 2.0)):
        pairs[label] = Pair(result(100, p50_ms=p50), result(100, p50_ms=2.0), "the other (alone)", alone=True)
    exported = {"rows": 100, "seconds": 1.0, "rows_per_second": 100, "file_mb": 0.1, "rss_before_mb": 90.0,
                "maxrss_mb": 91.0, "growth_mb": 1.0}
    checks = dict.fromkeys(("oversold", "double_booked", "counter_mismatches", "folder_counter_mismatches"), 0)
    report, all_met = run.markdown(rows, pairs, {}, checks, (20, 20), exported,
                                   Namespace(workers=4, threads=1, seconds=10), small, large)
    targets = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[1] for line in report.splitlines()
               if line.startswith("| ") and line.endswith(("| yes |", "| NO |"))}
    assert targets["booking / stack floor (requests/s, in alternation)"] == "0.70"
    assert targets["stack floor / trivial view (in alternation)"] == "0.20"
    assert targets["zone folder home at 1,000,000 / trivial view (in alternation)"] == "0.08"
    assert targets["list API page 1,000 p50 / page 1 p50 (alone, in alternation)"] == "1.25"
    assert targets["folder home p50 at 1,000,000 / at 10,000 (alone, in alternation)"] == "3.00"
    assert not all_met  # the zone folder and the folder home alone miss theirs
