"""KPI helpers in Python; the KPI tables themselves are SQL models in sql/marts/."""

from pmanalytics.kpis.headline import headline_kpis

__all__ = ["headline_kpis"]
