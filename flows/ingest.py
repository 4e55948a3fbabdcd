"""Entrypoints that prefect.yaml names (`flows/ingest.py:ingest_flow`): the flows live in the package."""

from jobpipeline.orchestration.flows import enrich_flow, ingest_flow, revalidate_flow

__all__ = ["enrich_flow", "ingest_flow", "revalidate_flow"]
