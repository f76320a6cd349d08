"""The project's Feast offline stores: Feast's own, with a faster point-in-time join.

``point_in_time`` holds the dispatch both share (and the fallback to the stock store); each
dialect adds its SQL: ``duckdb_asof`` (an ASOF LEFT JOIN per view over the exported Parquet)
and ``postgres_distinct_on`` (a DISTINCT ON join per view in the warehouse). Results equal stock
Feast's (tests/feature_repo/test_point_in_time.py).
"""
