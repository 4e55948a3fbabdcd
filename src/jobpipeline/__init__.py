"""jobpipeline: career articles in, a DuckDB warehouse and published datasets out.

The pure core (reading, salary normalization, validation) is importable without Prefect or DuckDB
side effects::

    from jobpipeline import read_article, normalize_salary
    band = normalize_salary("450〜700", unit="万円")

Published datasets, as polars LazyFrames from one consistent version::

    jobpipeline.datasets()                       # name, description, rows, columns
    jobpipeline.dataset("salary_benchmarks", warehouse="warehouse/jobs.duckdb").collect()
"""

from jobpipeline.datasets import dataset, datasets
from jobpipeline.levels import ExperienceLevel, parse_experience
from jobpipeline.models import Article, Finding, FrontMatter, ReadResult
from jobpipeline.read import read_article
from jobpipeline.salary import YenBand, normalize_salary
from jobpipeline.validate import CorpusCheck, CorpusEntry, check_corpus

__all__ = [
    "Article",
    "CorpusCheck",
    "CorpusEntry",
    "ExperienceLevel",
    "Finding",
    "FrontMatter",
    "ReadResult",
    "YenBand",
    "check_corpus",
    "dataset",
    "datasets",
    "normalize_salary",
    "parse_experience",
    "read_article",
]
