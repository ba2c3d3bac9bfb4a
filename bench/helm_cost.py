"""What scanning a Helm chart costs, against one render plus one scan of what it renders.

    PYTHONPATH=. python bench/helm_cost.py [CHART_DIR] [-f VALUES ...] [--runs N]

Three timings, each the best of N in one process (imports paid once, as in a pre-commit run):
  render   Helm's engine renders the chart (helm-python-sdk: load + render), as ``helm template`` would;
  scan     ``llmlint scan`` of that render written to one file (``helm template . | llmlint scan -``);
  chart    ``llmlint scan CHART`` (render, scan, place every finding in the chart: a second, marked render
           when there are findings, the template line maps, values-fix verification renders).
The ratio chart / (render + scan) is the price of pointing into the chart; about 1 is the goal.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best(fns: list[Callable[[], object]], runs: int) -> list[float]:
    """Best time of each, measured in turns (a busy machine slows all three alike)."""
    for fn in fns:
        fn()  # warm: imports, caches
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, ts in zip(fns, times, strict=True):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
    return [min(ts) for ts in times]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("chart", nargs="?", default=str(ROOT / "tests" / "charts" / "vllm"))
    ap.add_argument("-f", "--values", action="append", default=[])
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()

    from llmlint.engine import Settings, scan
    from llmlint.helm import OPTIONS
    from llmlint.helm import render as engine
    from llmlint.helm.chart import _merge, _yaml_mapping

    OPTIONS.values = [os.path.abspath(v) for v in args.values]
    user: dict[str, object] = {}
    for v in OPTIONS.values:
        _merge(user, _yaml_mapping(Path(v).read_text(encoding="utf-8")))
    chart = os.path.abspath(args.chart)

    def render() -> dict[str, str]:
        return engine.render(chart, user, OPTIONS.release, OPTIONS.namespace)

    rendered = render()
    text = "".join(
        f"---\n# Source: {k}\n{v}\n" for k, v in sorted(rendered.items()) if not k.endswith("NOTES.txt")
    )
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rendered.yaml"
        out.write_text(text, encoding="utf-8")
        t_render, t_scan, t_chart = best(
            [render, lambda: scan([str(out)], settings), lambda: scan([chart], settings)], args.runs
        )
        plain = scan([str(out)], settings)
    result = scan([chart], settings)
    base = t_render + t_scan
    print(f"chart   {args.chart} {' '.join('-f ' + v for v in args.values)}")
    print(f"render  {t_render * 1000:8.1f} ms  ({len(rendered)} templates, {len(text) // 1024} KiB)")
    print(f"scan    {t_scan * 1000:8.1f} ms  ({len(plain.findings)} findings on the render)")
    print(f"chart   {t_chart * 1000:8.1f} ms  ({len(result.findings)} findings placed in the chart)")
    print(f"ratio   {t_chart / base:8.2f}  chart / (render + scan)")


if __name__ == "__main__":
    main()
