"""Spark's prerequisites and session settings, without starting a JVM."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from pmanalytics.cli import main
from pmanalytics.config import parse_config
from pmanalytics.engines import EngineUnavailable
from pmanalytics.engines.spark import (
    check_spark_available,
    find_java,
    java_major_version,
    session_conf,
)
from pmanalytics.errors import ConfigError


def _fake_java_home(tmp_path: Path, version_line: str) -> Path:
    """A JAVA_HOME whose bin/java prints ``version_line`` as ``java -version`` does."""
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return home


@pytest.mark.parametrize(
    ("line", "major"),
    [
        ('openjdk version "1.8.0_392"', 8),
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "21" 2023-09-19 LTS', 21),
    ],
)
def test_java_major_version(tmp_path: Path, line: str, major: int) -> None:
    assert java_major_version(_fake_java_home(tmp_path, line) / "bin" / "java") == major


def test_java_home_wins_over_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = _fake_java_home(tmp_path, 'openjdk version "17.0.1"')
    monkeypatch.setenv("JAVA_HOME", str(home))
    assert find_java() == home / "bin" / "java"


def test_a_java_home_without_java_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(EngineUnavailable, match=r"JAVA_HOME=.* has no bin/java"):
        find_java()


def test_no_java_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineUnavailable, match=r"Java 17\+ runtime and none was found"):
        find_java()


def test_an_old_java_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyspark", reason="the pyspark check comes first")
    monkeypatch.setenv("JAVA_HOME", str(_fake_java_home(tmp_path, 'java version "1.8.0_1"')))
    with pytest.raises(EngineUnavailable, match=r"needs Java 17\+ but .* is Java 8"):
        check_spark_available()


def test_missing_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark → ImportError
    with pytest.raises(EngineUnavailable, match=r"pip install 'pmanalytics\[spark\]'"):
        check_spark_available()


@pytest.mark.parametrize("missing", ["pyspark", "java"])
def test_build_on_spark_without_it_exits_2_before_touching_the_warehouse(
    missing: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if missing == "pyspark":
        monkeypatch.setitem(sys.modules, "pyspark", None)
        expected = "pip install 'pmanalytics[spark]'"
    else:
        pytest.importorskip("pyspark", reason="the pyspark check comes first")
        monkeypatch.delenv("JAVA_HOME", raising=False)
        monkeypatch.setenv("PATH", str(tmp_path))
        expected = "Java 17+"
    monkeypatch.chdir(tmp_path)  # no pmanalytics.toml: the defaults
    db = tmp_path / "w.duckdb"
    assert main(["build", "--engine", "spark", "--db", str(db)]) == 2
    assert expected in " ".join(capsys.readouterr().err.split())
    assert not db.exists()


def test_unknown_engine_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["build", "--engine", "trino"])
    assert exited.value.code == 2
    assert "invalid choice: 'trino'" in capsys.readouterr().err


def test_local_sessions_are_quiet_loopback_and_utc(tmp_path: Path) -> None:
    conf = session_conf(parse_config({}).spark, tmp_path / "wh")
    assert conf["spark.ui.enabled"] == "false"
    assert conf["spark.driver.host"] == conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert conf["spark.sql.warehouse.dir"] == str(tmp_path / "wh")


def test_cluster_sessions_take_the_configured_settings(tmp_path: Path) -> None:
    spark = parse_config(
        {
            "spark": {
                "master": "spark://spark-master:7077",
                "conf": {"spark.sql.shuffle.partitions": "200", "spark.executor.memory": "8g"},
            }
        }
    ).spark
    conf = session_conf(spark, tmp_path)
    assert "spark.driver.bindAddress" not in conf and "spark.ui.enabled" not in conf
    assert conf["spark.sql.shuffle.partitions"] == "200"
    assert conf["spark.executor.memory"] == "8g"


def test_a_session_time_zone_other_than_utc_is_refused(tmp_path: Path) -> None:
    spark = parse_config({"spark": {"conf": {"spark.sql.session.timeZone": "Europe/Paris"}}}).spark
    with pytest.raises(ConfigError, match=r"spark\.sql\.session\.timeZone.*\[analysis\] timezone"):
        session_conf(spark, tmp_path)
