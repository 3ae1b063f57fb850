from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pmanalytics.config import load_config, parse_config, parse_duration, resolve_db_path
from pmanalytics.errors import ConfigError


def test_a_file_with_only_warehouse_works(tmp_path: Path) -> None:
    path = tmp_path / "pmanalytics.toml"
    path.write_text('[warehouse]\npath = "w.duckdb"\n')
    config = load_config(path)
    assert config.analysis.timezone == "UTC"
    assert config.analysis.week_start == "monday"
    assert config.sources == []
    assert resolve_db_path(config) == tmp_path / "w.duckdb"


def test_unknown_keys_are_errors_that_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "pmanalytics.toml"
    path.write_text('[analysis]\ntimezon = "UTC"\n')
    with pytest.raises(ConfigError, match=r"analysis\.timezon: unknown key"):
        load_config(path)


def test_unknown_time_zone_is_named() -> None:
    with pytest.raises(ConfigError, match=r"analysis\.timezone: .*Mars/Olympus"):
        parse_config({"analysis": {"timezone": "Mars/Olympus"}})


def test_nested_mapping_errors_name_the_full_key() -> None:
    data = {
        "sources": [
            {
                "name": "s",
                "kind": "surveys",
                "path": "x.csv",
                "mapping": {"scale": {"min": 5, "max": 1}, "metric": "csat"},
            }
        ]
    }
    with pytest.raises(ConfigError, match=r"sources\.0\.mapping\.scale"):
        parse_config(data)


def test_custom_scale_needs_a_fixed_metric() -> None:
    data = {
        "sources": [
            {
                "name": "s",
                "kind": "surveys",
                "path": "x.csv",
                "mapping": {"scale": {"min": 1, "max": 5}},
            }
        ]
    }
    with pytest.raises(ConfigError, match="fixed metric"):
        parse_config(data)


def test_mapping_only_for_surveys() -> None:
    data = {"sources": [{"name": "e", "kind": "events", "path": "x", "mapping": {}}]}
    with pytest.raises(ConfigError, match="only to sources of kind 'surveys'"):
        parse_config(data)


def test_duplicate_source_names_are_rejected() -> None:
    source = {"name": "dup", "kind": "events", "path": "x"}
    with pytest.raises(ConfigError, match="duplicate sources"):
        parse_config({"sources": [source, source]})


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[warehouse\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "seconds"), [("15s", 15), ("5m", 300), ("2h", 7200), ("14d", 1209600), ("1w", 604800)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["14", "d14", "1.5h", "", "3y"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_funnel_window_is_checked() -> None:
    with pytest.raises(ConfigError, match=r"funnels\.0\.window"):
        parse_config({"funnels": [{"name": "f", "steps": ["a", "b"], "window": "soon"}]})


def test_db_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config({"warehouse": {"path": "from-config.duckdb"}}, base_dir=tmp_path)
    monkeypatch.delenv("PMA_DB_PATH", raising=False)
    assert resolve_db_path(config) == tmp_path / "from-config.duckdb"
    monkeypatch.setenv("PMA_DB_PATH", "/env/w.duckdb")
    assert resolve_db_path(config) == Path("/env/w.duckdb")
    assert resolve_db_path(config, "/cli/w.duckdb") == Path("/cli/w.duckdb")


def test_empty_string_means_the_column_is_absent() -> None:
    config = parse_config(
        {
            "sources": [
                {
                    "name": "s",
                    "kind": "surveys",
                    "path": "x",
                    "mapping": {"submitted_at": "", "metric": "nps"},
                }
            ]
        }
    )
    mapping = config.sources[0].mapping
    assert mapping is not None and mapping.submitted_at is None


def test_lake_and_spark_default_to_off_and_local(tmp_path: Path) -> None:
    config = parse_config({}, base_dir=tmp_path)
    assert config.lake.enabled is False
    assert config.resolve(config.lake.path) == tmp_path / "data" / "lake"
    assert config.spark.master == "local[2]"
    assert config.resolve(config.spark.output) == tmp_path / "data" / "spark"
    assert config.spark.conf == {}


def test_lake_and_spark_read_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "pmanalytics.toml"
    path.write_text(
        '[lake]\nenabled = true\npath = "/data/lake"\n'
        '[spark]\nmaster = "spark://spark-master:7077"\noutput = "out"\n'
        '[spark.conf]\n"spark.executor.memory" = "4g"\n'
    )
    config = load_config(path)
    assert config.lake.enabled is True
    assert config.resolve(config.lake.path) == Path("/data/lake")
    assert config.spark.master == "spark://spark-master:7077"
    assert config.resolve(config.spark.output) == tmp_path / "out"
    assert config.spark.conf == {"spark.executor.memory": "4g"}


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"lake": {"enabled": True, "root": "x"}}, r"lake\.root: unknown key"),
        ({"spark": {"masters": "local[2]"}}, r"spark\.masters: unknown key"),
        ({"spark": {"master": ""}}, r"spark\.master"),
        ({"spark": {"conf": {"spark.executor.cores": 4}}}, r"spark\.conf\.spark\.executor\.cores"),
        ({"spark": {"conf": {"executor.memory": "4g"}}}, r"spark\.conf: .*start with 'spark\.'"),
        ({"spark": {"log_level": "LOUD"}}, r"spark\.log_level"),
    ],
)
def test_lake_and_spark_keys_are_checked(data: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        parse_config(data)


def test_timestamp_bounds_have_one_home_in_ingest() -> None:
    # ingest quarantines by these bounds and validation checks the staged rows by the same
    # pair: a copy under [validation] would be a second truth, so it is refused with a pointer
    for key, value in (("max_future", "2d"), ("earliest_timestamp", "2010-01-01")):
        with pytest.raises(ConfigError, match=rf"{key} belong\(s\) in \[ingest\]"):
            parse_config({"validation": {key: value}})
    config = parse_config({"ingest": {"max_future": "2d", "earliest_timestamp": "2010-01-01"}})
    assert (config.ingest.max_future, config.ingest.earliest_timestamp) == ("2d", "2010-01-01")
    with pytest.raises(ConfigError, match=r"ingest\.earliest_timestamp"):
        parse_config({"ingest": {"earliest_timestamp": "last tuesday"}})


@pytest.mark.parametrize("trait", ["$.plan", "/plan", "", " ", "pl\x1ban"])
def test_segment_trait_names_are_plain_names(trait: str) -> None:
    # "$…" and "/…" are read by DuckDB as a JSON path or pointer, not as a key
    with pytest.raises(ConfigError, match=r"segments\.user_traits"):
        parse_config({"segments": {"user_traits": ["country", trait]}})


def test_as_of_takes_a_toml_date_a_text_date_today_or_latest_event(tmp_path: Path) -> None:
    path = tmp_path / "pmanalytics.toml"
    path.write_text('[analysis]\ntimezone = "US/Pacific"\nas_of = 2026-03-08\n')
    analysis = load_config(path).analysis
    # Mar 8 2026 is the day Pacific time springs forward: it ends at 00:00 PDT = 07:00 UTC
    assert analysis.as_of_bounds() == (date(2026, 3, 8), datetime(2026, 3, 9, 7, 0))
    assert parse_config({"analysis": {"as_of": "2026-03-08"}}).analysis.as_of == date(2026, 3, 8)
    assert parse_config({}).analysis.as_of == "latest_event"
    assert parse_config({}).analysis.as_of_bounds() is None


def test_today_is_today_in_the_reporting_time_zone() -> None:
    analysis = parse_config({"analysis": {"timezone": "US/Pacific", "as_of": "today"}}).analysis
    # 06:30 UTC on Mar 9 is still 23:30 on Mar 8 in Pacific time
    assert analysis.as_of_bounds(now=datetime(2026, 3, 9, 6, 30, tzinfo=UTC)) == (
        date(2026, 3, 8),
        datetime(2026, 3, 9, 7, 0),
    )
    assert analysis.as_of_bounds(now=datetime(2026, 3, 9, 7, 30, tzinfo=UTC))[0] == date(2026, 3, 9)


@pytest.mark.parametrize("value", ["yesterday", "2026-02-30", "31/03/2026", 20260331, ""])
def test_a_bad_as_of_is_one_clear_error(value: object) -> None:
    with pytest.raises(ConfigError, match=r"analysis\.as_of: .*a date \(YYYY-MM-DD\), 'today'"):
        parse_config({"analysis": {"as_of": value}})


def test_funnel_exclusions_between_steps_and_the_plain_shorthand() -> None:
    funnel = parse_config(
        {
            "funnels": [
                {
                    "name": "f",
                    "steps": ["a", "b", "c"],
                    "exclusions": ["x", {"event": "y", "from_step": 2, "to_step": 3}],
                }
            ]
        }
    ).funnels[0]
    assert [(e.event, e.from_step, e.to_step) for e in funnel.exclusions] == [
        ("x", 1, 3),  # a plain name spans the first to the last step
        ("y", 2, 3),
    ]


@pytest.mark.parametrize(
    "rule",
    [
        {"event": "y", "from_step": 2, "to_step": 2},
        {"event": "y", "from_step": 1, "to_step": 4},
        {"event": "y", "from_step": 0, "to_step": 2},
        {"event": "y", "from_step": 1},
        {"event": "y", "from_step": 1, "to_step": 2, "until": 3},
    ],
)
def test_funnel_exclusion_steps_are_checked(rule: dict) -> None:
    with pytest.raises(ConfigError, match=r"funnels\.0"):
        parse_config({"funnels": [{"name": "f", "steps": ["a", "b", "c"], "exclusions": [rule]}]})


def _survey_source(name: str, segments: list[str]) -> dict:
    return {
        "name": name,
        "kind": "surveys",
        "path": f"{name}.csv",
        "mapping": {"metric": "csat", "segments": segments},
    }


def test_survey_mapping_segments_are_breakdowns_without_a_second_setting() -> None:
    config = parse_config(
        {
            "segments": {"user_traits": ["plan", "Trust"]},
            "sources": [
                _survey_source("nhs", ["Trust", "Service type 1"]),
                _survey_source("other", ["Ward"]),
            ],
        }
    )
    assert config.breakdown_segments() == ["plan", "Trust", "Service type 1", "Ward"]


def test_survey_mapping_segment_names_are_plain_names() -> None:
    with pytest.raises(ConfigError, match=r"sources\.0\.mapping\.segments"):
        parse_config({"sources": [_survey_source("nhs", ["$.Trust"])]})
