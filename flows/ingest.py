"""Entrypoints that prefect.yaml names (`flows/ingest.py:ingest_flow`): the flows live in the package."""

from jobpipeline.orchestration.flows import ingest_flow, revalidate_flow

__all__ = ["ingest_flow", "revalidate_flow"]
