"""The pages on the built PostgreSQL warehouse, read through the service's read-only role: each
page renders its figures for leadership and stays within a rep's book."""

from __future__ import annotations

import re

import pytest

from service.pages.render import money, num
from tests.service.pages.conftest import PagesService

pytestmark = pytest.mark.postgres


def test_every_page_renders_on_postgres(pages_service_postgres: PagesService) -> None:
    service = pages_service_postgres
    built = service.built
    index = built.scalar(
        "select pipeline_health_index from marts.pipeline_health"
        " where segment = 'all' order by as_of_date desc limit 1"
    )
    mrr_at_risk = built.scalar(
        "select coalesce(sum(health.mrr), 0) from marts.account_health as health"
        " join marts.account_risk_scores as risk on risk.account_id = health.account_id"
        " where risk.churn_risk_band in ('high', 'critical')"
    )
    open_alerts = built.scalar("select count(*) from marts.alert_status where is_open")
    with service.signed_in("admin") as client:
        assert num(index, 1) in client.get("/pages/cro").text
        assert money(mrr_at_risk) in client.get("/pages/health").text
        inbox = client.get("/pages/alerts").text
        assert re.search(rf'id="open-alert-count">{open_alerts:,}<', inbox)
        manager = client.get(f"/pages/manager?manager={service.people.manager}")
        assert manager.status_code == 200 and "Risky deals" in manager.text
    with service.signed_in("rep") as client:
        assert client.get(f"/pages/reps/{service.people.rep}").status_code == 200
        assert client.get(f"/pages/reps/{service.people.outside_rep}").status_code == 403
        assert client.get("/pages/cro").status_code == 403
