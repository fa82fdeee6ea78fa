"""A goal stated as a time judges tactica's own time per call, in the row and the summary."""

import pytest


@pytest.fixture
def report(monkeypatch):
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    import bench._report
    import bench._timing
    import bench.micro

    return bench._report, bench._timing, bench.micro


def _result(timing, subject_ms, baseline_ms):
    ns = [value * 1_000_000 for value in subject_ms], [value * 1_000_000 for value in baseline_ms]
    ratios = [ours / theirs for ours, theirs in zip(*ns, strict=True)]
    sample = timing.Sample.of
    return timing.Paired(sample(ns[0]), sample(ns[1]), sample(ratios))


def _case(micro, **options):
    return micro.Case("load 10,000 snap+0, SQLite", int, "full replay", int, None, **options)


@pytest.mark.parametrize(
    ("subject_ms", "verdict"),
    [
        ((0.2, 0.3, 0.25), "within goal"),
        ((8.0, 9.0, 12.0), "within goal (range crosses it)"),
        ((11.0, 12.0, 9.0), "OVER GOAL"),
    ],
)
def test_a_time_budget_is_judged_on_the_subject_s_time(report, subject_ms, verdict):
    _report, timing, micro = report
    case = _case(micro, budget_ns=10_000_000, call="load")
    result = _result(timing, subject_ms, (100.0, 120.0, 110.0))
    line = _report.row(case, result)
    assert "<= 10 ms" in line
    assert f"  {verdict}; " in line
    assert line.endswith("ms per load")
    summary = _report.summary([(case, result)])
    if verdict == "OVER GOAL":
        assert summary.startswith("1 of 1 goal lines are OVER")
        assert "load 10,000 snap+0, SQLite: 11.0 ms against a goal of <= 10 ms" in summary
    else:
        assert summary == "All 1 goal lines are within their goal."


def test_the_note_gives_both_sides_times_per_call(report):
    _report, timing, micro = report
    line = _report.row(_case(micro, call="load"), _result(timing, (0.25,), (134.0,)))
    assert line.endswith("no goal set; 0.25 vs 134 ms per load")
    assert "  -  " in line


@pytest.mark.parametrize(
    ("ratios", "cell"),
    [
        ((1.234, 1.1, 1.5), "1.23x (1.10-1.50)"),
        ((0.0456, 0.041, 0.05), "0.05x (0.04-0.05)"),
        ((0.0072, 0.0068, 0.008), "0.0072x (0.0068-0.0080)"),
        ((0.00044, 0.00041, 0.0005), "0.00044x (0.00041-0.00050)"),
    ],
)
def test_ratios_below_a_hundredth_keep_two_significant_figures(report, ratios, cell):
    _report, timing, micro = report
    subject = [ratio * 100.0 for ratio in ratios]
    line = _report.row(_case(micro), _result(timing, subject, (100.0,) * len(ratios)))
    assert f"  {cell}  " in line
