"""`make bench`: run every benchmark, print the table and write bench/results/latest.json."""

from __future__ import annotations

import asyncio
import os
import sys

from bench.appraisal import run_appraisal_bench
from bench.goals import run_goals_bench
from bench.org import run_org_bench
from bench.report import Figure, render_table, write_results
from services.chassis.logging import configure_logging


def machine_load() -> Figure:
    # The bench itself keeps about one core busy; well above that, something else shared the machine.
    return Figure(
        "machine.load_average_1m",
        os.getloadavg()[0],
        "load",
        note=f"1-minute load average at the end, on {os.cpu_count()} cores; the bench alone makes ~1",
    )


def main() -> None:
    configure_logging("bench", "warning")
    figures = [
        *asyncio.run(run_org_bench()),
        *asyncio.run(run_goals_bench()),
        *asyncio.run(run_appraisal_bench()),
        machine_load(),
    ]
    sys.stdout.write(render_table(figures))
    sys.stdout.write(f"wrote {write_results(figures)}\n")


if __name__ == "__main__":
    main()
