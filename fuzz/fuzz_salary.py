"""Coverage-guided fuzzing of the salary normalizer and the experience parser (atheris).

Run through fuzz/run.sh (see fuzz/README.md); one input:  python fuzz/fuzz_salary.py CRASH_FILE

The first bytes choose the header unit and the basis; the rest is the cell text. A crash is any
exception, or a band that breaks its contract (documented warning codes only, `raw` kept, yen as
integers, experience years within 0-60).
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["jobpipeline"]):
    from jobpipeline.levels import parse_experience
    from jobpipeline.salary import basis_from_text, normalize_salary, unit_from_header
    from jobpipeline.validate import WARNING_CODES

UNITS = (None, "万円", "円", "千円", "億円", "万", "USD", "K円", "")
BASES = (None, "annual", "monthly", "hourly", "daily", "unknown")


def check(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    unit = UNITS[provider.ConsumeIntInRange(0, len(UNITS) - 1)]
    basis = BASES[provider.ConsumeIntInRange(0, len(BASES) - 1)]
    text = provider.ConsumeUnicodeNoSurrogates(len(data))
    band = normalize_salary(text, unit=unit, basis=basis)
    assert band.raw == text
    for value in (band.min_yen, band.max_yen):
        assert value is None or isinstance(value, int)
    assert {w.code for w in band.warnings} <= set(WARNING_CODES), band.warnings
    unit_from_header(text)
    basis_from_text(text)
    level = parse_experience(text)
    for years in (level.years_min, level.years_max):
        assert years is None or 0 <= years <= 60, level


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
