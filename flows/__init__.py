"""Prefect flows: thin sequences of pmanalytics library calls (see pipeline.py)."""
