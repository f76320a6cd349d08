"""Point-in-time correctness of the customer-success account features (engagement, adoption).

As tests/dbt/test_b2b_point_in_time.py does for the other B2B features: build with the run's
as-of date L, whose spine holds D = L - 14 days; add email opens and hard bounces, community
posts naming a competitor, attended and missed training sessions (onboarding too), NPS answers
and product logins dated at D and after it; rebuild from scratch and compare. Every row of D
must be unchanged, and both models' rows of L must change.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import duckdb
import pytest

from sources.generate import generate
from sources.generate.config import GeneratorConfig
from sources.load.loader import load_directory
from tests.dbt.point_in_time import build_from_scratch, feature_rows, insert_late_events
from tests.dbt.rows import same_rows
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

RUN_AS_OF = "2026-10-31"
CHECKED_AS_OF = "2026-10-19"  # a grid date of the spine before RUN_AS_OF
MODELS = ("account_engagement_features", "account_adoption_features")
KEYS = dict.fromkeys(MODELS, "account_id")

LATE_EVENTS = (
    """
    insert into raw_marketing.email_events
    select * replace (
        event_id + {id_offset} as event_id, message_id || '-late{id_offset}' as message_id,
        {moment} as occurred_at,
        case when event_id % 2 = 0 then 'open' else 'bounce' end as event_type,
        case when event_id % 2 = 0 then null else 'hard' end as bounce_type
    )
    from raw_marketing.email_events where account_id is not null order by event_id limit 600
    """,
    """
    insert into raw_community.posts
    select * replace (
        post_id + {id_offset} as post_id, {moment} as created_at, 'feedback' as post_type,
        'We are moving to Contoso.' as body
    )
    from raw_community.posts where account_id is not null order by post_id limit 200
    """,
    """
    insert into raw_training.enrollments
    select * replace (
        enrollment_id || '-late{id_offset}' as enrollment_id, {moment} as registered_at,
        {moment} as scheduled_at,
        case when length(enrollment_id) % 2 = 0 then 'attended' else 'no_show' end
            as attendance_status,
        {moment} + interval 1 hour as completed_at
    )
    from raw_training.enrollments order by enrollment_id limit 400
    """,
    """
    insert into raw_surveys.responses
    select * replace (
        response_id || '-late{id_offset}' as response_id, {moment} as sent_at,
        {moment} + interval 1 hour as responded_at, 0 as nps_score,
        'Considering Fabrikam instead.' as comment
    )
    from raw_surveys.responses order by response_id limit 200
    """,
    """
    insert into raw_product.usage_events
    select * replace (
        event_id + {id_offset} as event_id, {moment} as occurred_at, 'login' as event_name,
        'integrations' as feature_key
    )
    from raw_product.usage_events where account_id is not null order by event_id limit 500
    """,
)


# What the late events must move at L (the features of D must not move at all).
TOTAL_NAMES = (
    "competitor_mentions_90d",
    "training_no_shows_90d",
    "contacts_departed_180d",
    "survey_responses_180d",
    "integration_usage_count_90d",
    "logins_30d",
)
TOTALS_AT_L = """
    select
        (select sum(competitor_mentions_90d) from features.account_engagement_features
         where as_of_date = cast($1 as date)),
        (select sum(training_no_shows_90d) from features.account_engagement_features
         where as_of_date = cast($1 as date)),
        (select sum(contacts_departed_180d) from features.account_engagement_features
         where as_of_date = cast($1 as date)),
        (select sum(survey_responses_180d) from features.account_engagement_features
         where as_of_date = cast($1 as date)),
        (select sum(integration_usage_count_90d) from features.account_adoption_features
         where as_of_date = cast($1 as date)),
        (select sum(logins_30d) from features.account_adoption_features
         where as_of_date = cast($1 as date))
"""


def test_success_features_ignore_events_at_and_after_the_as_of_date(
    duckdb_settings: Settings, tmp_path: Path
) -> None:
    config = GeneratorConfig(customers=400, seed=5, end_date=datetime.date(2026, 10, 31))
    generate(tmp_path / "exports", config)
    load_directory(tmp_path / "exports", duckdb_settings)
    warehouse = duckdb_settings.duckdb_path

    build_from_scratch(duckdb_settings, tmp_path / "t1", MODELS, RUN_AS_OF)
    checked_before = feature_rows(warehouse, KEYS, CHECKED_AS_OF)
    assert all(checked_before[model] for model in MODELS), "every model has rows at D"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        totals_before = connection.execute(TOTALS_AT_L, [RUN_AS_OF]).fetchone()
    assert totals_before is not None

    insert_late_events(warehouse, LATE_EVENTS, CHECKED_AS_OF)
    build_from_scratch(duckdb_settings, tmp_path / "t2", MODELS, RUN_AS_OF)

    checked_after = feature_rows(warehouse, KEYS, CHECKED_AS_OF)
    for model in MODELS:
        assert same_rows(checked_after[model], checked_before[model]), f"{model} leaked at D"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        after = connection.execute(TOTALS_AT_L, [RUN_AS_OF]).fetchone()
    assert after is not None
    for name, total_before, total_after in zip(TOTAL_NAMES, totals_before, after, strict=True):
        assert total_after > total_before, f"{name} at L did not see the new events"
