"""Soak the warehouse state machine (tests/test_state_machine.py) for many more sequences than CI runs.

    uv run python scripts/state_machine_soak.py                          # 1,000 sequences of 12 steps
    uv run python scripts/state_machine_soak.py --sequences 5000 --steps 20 --minutes 120

Runs hypothesis batches with fresh random seeds until the sequence target or the time budget is
reached, then prints how many sequences, steps, runs, re-validations and kills ran. A failure is
printed with its shrunk sequence of steps (turn it into a named regression test in
tests/test_state_machine.py) and the script exits 1.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import test_state_machine as machine  # the tests folder is not a package, hence the path above


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sequences", type=int, default=1000, help="stop after this many sequences (1000)")
    parser.add_argument("--steps", type=int, default=12, help="steps per sequence (12)")
    parser.add_argument("--minutes", type=float, default=60.0, help="stop after this long (60)")
    parser.add_argument("--batch", type=int, default=25, help="sequences per hypothesis batch (25)")
    args = parser.parse_args()
    figures = machine.FIGURES
    started = time.monotonic()
    deadline = started + args.minutes * 60
    batches = 0
    failure = None
    while figures.sequences < args.sequences and time.monotonic() < deadline:
        batches += 1
        batch = settings(
            max_examples=args.batch,
            stateful_step_count=args.steps,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        try:
            run_state_machine_as_test(machine.WarehouseMachine, settings=batch)
        except Exception:  # a failing sequence: hypothesis has shrunk it and printed its steps
            failure = traceback.format_exc()
            break
        elapsed = time.monotonic() - started
        print(
            f"[{elapsed / 60:5.1f} min] batch {batches}: {figures.sequences} sequences, {figures.steps} steps",
            flush=True,
        )
    elapsed = time.monotonic() - started
    print(
        f"\n{figures.sequences} sequences, {figures.steps} steps in {elapsed / 60:.1f} min: "
        f"{figures.runs} full runs, {figures.revalidations} re-validations, {figures.kills} killed runs "
        f"({figures.kills_committed} of them had committed), {figures.refused_empty} runs over an emptied "
        "folder refused"
    )
    if failure:
        print("\nFAILED (sequence counts include hypothesis's shrinking attempts):\n" + failure)
        return 1
    print("no failure found")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
