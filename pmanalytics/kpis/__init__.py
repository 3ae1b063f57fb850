"""KPI logic in Python; the KPI tables themselves are SQL models in sql/marts/."""

from pmanalytics.kpis.headline import Headline, Kpi, headline_kpis

__all__ = ["Headline", "Kpi", "headline_kpis"]
