"""Deterministic sample data: a team-dashboard SaaS product with planted pain points.

`generate_sample` writes daily Segment NDJSON event files, a CRM `users.csv` and a
`surveys.csv` whose comments are tied to what each respondent experienced in the product.
"""

from pmanalytics.sample.generate import SampleSummary, generate_sample

__all__ = ["SampleSummary", "generate_sample"]
