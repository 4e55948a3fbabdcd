"""jobpipeline.dataset() / datasets(): published datasets as polars frames, one version at a time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from conftest import make_article
from helpers import run_local

import jobpipeline
from jobpipeline.errors import DatasetNotFoundError


def test_dataset_stays_on_the_version_it_resolved(
    seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """A LazyFrame keeps reading the version it was made from after a later run publishes another."""
    warehouse = tmp_path / "w" / "jobs.duckdb"
    write_seed("a.txt", make_article("alpha"))
    run_local(seeds_dir, warehouse)
    first = jobpipeline.dataset("articles", warehouse=warehouse)
    write_seed("b.txt", make_article("beta"))
    run_local(seeds_dir, warehouse)
    assert first.select("slug").collect()["slug"].to_list() == ["alpha"]
    latest = jobpipeline.dataset("articles", warehouse=str(warehouse)).select("slug").collect()
    assert latest["slug"].to_list() == ["alpha", "beta"]


def test_datasets_lists_rows_and_columns(seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path) -> None:
    """datasets() lists every published dataset with its rows and columns, as the manifest has them."""
    warehouse = tmp_path / "w" / "jobs.duckdb"
    write_seed("a.txt", make_article("alpha"))
    run_local(seeds_dir, warehouse)
    listing = jobpipeline.datasets(warehouse)
    by_name = {row["name"]: row for row in listing.iter_rows(named=True)}
    assert {"salary_benchmarks", "salary_by_skill", "article_salary_position", "quality_checks"} <= set(by_name)
    assert by_name["articles"]["rows"] == 1
    assert by_name["salary_benchmarks"]["columns"][:3] == ["category", "level", "whole_corpus"]
    frame = jobpipeline.dataset("salary_bands", warehouse).collect()
    assert isinstance(frame, pl.DataFrame) and frame.height == by_name["salary_bands"]["rows"]


def test_unknown_or_unpublished_dataset_says_what_exists(
    seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """An unknown name lists the published ones; with nothing published it says to run first."""
    warehouse = tmp_path / "w" / "jobs.duckdb"
    with pytest.raises(DatasetNotFoundError, match="run `jobpipeline run` first"):
        jobpipeline.dataset("articles", warehouse)
    write_seed("a.txt", make_article("alpha"))
    run_local(seeds_dir, warehouse)
    with pytest.raises(DatasetNotFoundError, match="published: article_salary_position, articles"):
        jobpipeline.dataset("nope", warehouse)


def test_every_published_dataset_can_be_queried_by_its_name(
    seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """A run prints `published 12 datasets: ..., tag_counts, tool_counts, validation_report`; `jobpipeline query
    "SELECT * FROM tag_counts"` answered "Table with name tag_counts does not exist! Did you mean pg_constraint?".
    Each dataset's name is a table or view of the warehouse, holding the rows of its Parquet file."""
    from helpers import cli

    from jobpipeline.schema import DATASETS

    warehouse = tmp_path / "w" / "jobs.duckdb"
    write_seed("a.txt", make_article("alpha", extra={"tags": ["Python", "python"]}))
    write_seed("b.txt", make_article("beta", related=["nobody"]))
    run_local(seeds_dir, warehouse)
    for dataset in DATASETS:
        result = cli("query", "--warehouse", str(warehouse), "--format", "json", f"SELECT * FROM {dataset.name}")
        assert result.exit_code == 0, (dataset.name, result.output)
        published = jobpipeline.dataset(dataset.name, warehouse=warehouse).collect()
        assert len(json.loads(result.stdout)) == published.height, dataset.name
