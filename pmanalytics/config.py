"""Project configuration (`pmanalytics.toml`), validated with pydantic.

Every key has a default, so a file holding only ``[warehouse]`` works, and every unknown key
is an error: a typo must not silently fall back to a default. Settings that shape SQL are not
pasted into SQL text; :func:`pmanalytics.warehouse.write_config_tables` loads them into
``meta.config_*`` tables that the models join.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pmanalytics.errors import ConfigError

DEFAULT_CONFIG_FILE = "pmanalytics.toml"
DEFAULT_DB_PATH = "data/warehouse.duckdb"
DB_PATH_ENV = "PMA_DB_PATH"

Metric = Literal["nps", "csat", "ces"]
SourceKind = Literal["events", "users", "surveys"]
FileFormat = Literal["auto", "ndjson", "csv", "parquet", "json"]

#: The canonical scale of each survey metric: (min, max). Scores are stored on these scales.
METRIC_SCALES: dict[str, tuple[float, float]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


#: The longest duration any setting takes: 100 years. Beyond it DuckDB's intervals and
#: timestamps overflow, and no funnel window or tolerance means that.
MAX_DURATION_SECONDS = 100 * 366 * 86400


def parse_duration(text: str) -> int:
    """Parse ``"15s"``, ``"5m"``, ``"2h"``, ``"14d"``, ``"2w"`` into seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like '15s', '5m', '2h', '14d' or '2w'")
    seconds = int(match.group(1)) * _DURATION_SECONDS[match.group(2)]
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(f"{text!r} is longer than 100 years")
    return seconds


def _valid_duration(text: str) -> str:
    parse_duration(text)
    return text


#: A duration written as text ("14d"), checked when the config is read.
Duration = Annotated[str, AfterValidator(_valid_duration)]


def _event_name(text: str) -> str:
    """An empty event name would make a KPI silently empty: refuse it when the config is
    read. Surrounding spaces are kept (event names are matched exactly)."""
    if not text.strip():
        raise ValueError("an event name must not be empty or only spaces")
    return text


#: An event name in the config: checked non-blank when the config is read.
EventName = Annotated[str, AfterValidator(_event_name)]


class _Strict(BaseModel):
    # inf and nan are never a threshold: freshness_hours = 1e400 is refused, not obeyed
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


_MEMORY_SIZE = re.compile(r"(?i)\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)")


class WarehouseConfig(_Strict):
    """Where the warehouse is and how the pipeline's DuckDB connections behave.

    ``memory_limit`` caps DuckDB's own memory (its buffer cache, joins, aggregates), which
    spills to ``<warehouse>.tmp`` beyond it; DuckDB's default is 80 % of RAM, which a
    pipeline sharing a laptop should not take. At 10M events the whole pipeline peaked at
    2.2 GB with 1 GB and 3.2 GB with 2 GB, in the same time (docs/benchmarks.md).
    ``"default"`` (or ``None`` from Python) leaves DuckDB's default.
    """

    path: str = DEFAULT_DB_PATH
    lock_timeout_seconds: float = Field(default=60, ge=0)
    memory_limit: str | None = "1GB"

    @field_validator("memory_limit")
    @classmethod
    def _memory_size(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() == "default":
            return None  # TOML has no null: "default" is how a file asks for DuckDB's own
        match = _MEMORY_SIZE.fullmatch(value.strip())
        if not match or float(match.group(0).rstrip("BKMGTikmgt ")) <= 0:
            raise ValueError(
                f"memory_limit must be a size above 0 such as '1GB' or '512MB', or 'default', "
                f"not {value!r}"
            )
        return value.strip()


#: How many date formats a survey source may declare (the ingest SQL has one slot each).
MAX_DATE_FORMATS = 4


def _is_strptime_format(text: str) -> bool:
    """A format that names a date and reads back the date it formats."""
    sample = datetime(2024, 11, 23, 13, 45, 56)
    if "%" not in text:
        return False
    try:
        return datetime.strptime(sample.strftime(text), text).date() == sample.date()
    except ValueError:
        return False


class CustomScale(_Strict):
    """A source's own score scale, mapped linearly onto the metric's canonical scale.

    ``higher_is_better = false`` reverses it (e.g. NHS FFT, where 1 means "very good").
    """

    min: float
    max: float
    higher_is_better: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> CustomScale:
        if self.max <= self.min:
            raise ValueError("scale.max must be greater than scale.min")
        return self


def _plain_segment_names(value: list[str]) -> list[str]:
    """Segment names a JSON key lookup reads as written.

    DuckDB reads a key starting with "$" or "/" as a JSON path or pointer: a segment named
    "$[0]" would silently select something else in every survey-score breakdown.
    """
    for name in value:
        if not name.strip() or name[0] in "$/" or any(ord(c) < 32 for c in name):
            raise ValueError(
                f"segment name {name!r} must be a plain name (not empty, not starting "
                "with '$' or '/', no control characters)"
            )
    return value


class SurveyMapping(_Strict):
    """Which column of a survey file holds what. Defaults are the canonical column names."""

    response_id: str | None = "response_id"
    user_id: str | None = "user_id"
    submitted_at: str | None = "submitted_at"
    date_format: str | None = None
    date_formats: list[str] | None = None
    score: str = "score"
    metric: Metric | None = None
    metric_column: str | None = "metric"
    scale: CustomScale | None = None
    survey: str | None = None
    survey_column: str | None = "survey"
    comment: str | None = "comment"
    segments: list[str] = Field(default_factory=list)

    _plain_segments = field_validator("segments")(_plain_segment_names)

    @field_validator(
        "response_id",
        "user_id",
        "submitted_at",
        "metric_column",
        "survey_column",
        "comment",
        mode="before",
    )
    @classmethod
    def _empty_means_absent(cls, value: object) -> object:
        """TOML has no null: ``submitted_at = ""`` says the file has no such column."""
        return None if value == "" else value

    @model_validator(mode="after")
    def _metric_source(self) -> SurveyMapping:
        if self.metric is None and self.metric_column is None:
            raise ValueError("set either metric (one metric for the file) or metric_column")
        if self.scale is not None and self.metric is None:
            raise ValueError("a custom scale needs a fixed metric (metric = 'nps'|'csat'|'ces')")
        if self.date_format is not None and self.date_formats is not None:
            raise ValueError("set date_format or date_formats, not both")
        if self.date_formats is not None and not 1 <= len(self.date_formats) <= MAX_DATE_FORMATS:
            raise ValueError(f"date_formats must list 1 to {MAX_DATE_FORMATS} formats")
        key = "date_format" if self.date_format is not None else "date_formats"
        for fmt in self.formats():
            if not _is_strptime_format(fmt):
                raise ValueError(
                    f"{key} {fmt!r} is not a strptime format that reads back what it "
                    "writes (e.g. '%d/%m/%Y')"
                )
        return self

    def formats(self) -> list[str]:
        """The declared date formats (empty: ISO 8601)."""
        if self.date_format is not None:
            return [self.date_format]
        return list(self.date_formats or [])

    def file_columns(self) -> list[str]:
        """Every file column the mapping reads, so missing ones are reported up front."""
        named = [
            self.response_id,
            self.user_id,
            self.submitted_at,
            self.score,
            None if self.metric else self.metric_column,
            None if self.survey else self.survey_column,
            self.comment,
        ]
        return [c for c in named if c] + list(self.segments)


class SourceConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    kind: SourceKind
    path: str
    format: FileFormat = "auto"
    mapping: SurveyMapping | None = None

    @model_validator(mode="after")
    def _mapping_only_for_surveys(self) -> SourceConfig:
        if self.mapping is not None and self.kind != "surveys":
            raise ValueError("mapping applies only to sources of kind 'surveys'")
        return self


class IngestConfig(_Strict):
    """Bounds outside which a timestamp is taken as broken and the row quarantined.

    The one source of truth for those bounds: validation checks staged rows against the
    same two settings.
    """

    earliest_timestamp: str = "2000-01-01"
    max_future: Duration = "1d"

    @field_validator("earliest_timestamp")
    @classmethod
    def _timestamp(cls, value: str) -> str:
        datetime.fromisoformat(value)
        return value


AS_OF_WORDS = ("today", "latest_event")


def _as_of(value: object) -> object:
    """``as_of`` is a calendar date (TOML ``2026-03-31`` or ``"2026-03-31"``), ``"today"`` or
    ``"latest_event"``; anything else is one clear error, not pydantic's one per union arm."""
    if isinstance(value, str) and value.strip() in AS_OF_WORDS:
        return value.strip()
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"as_of must be a date (YYYY-MM-DD), 'today' or 'latest_event', not {value!r}")


#: The as-of date of the KPIs as configured: a date, "today" or "latest_event".
AsOf = Annotated[date | Literal["today", "latest_event"], BeforeValidator(_as_of)]


class AnalysisConfig(_Strict):
    """How activity is read: the reporting calendar, what counts as activity, and the date
    the KPIs run to (``as_of``, PostHog's ``date_to``; docs/metrics.md, "As-of date")."""

    timezone: str = "UTC"
    week_start: Literal["monday", "sunday"] = "monday"
    active_events: list[EventName] = Field(default_factory=list)
    as_of: AsOf = "latest_event"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    def as_of_bounds(self, now: datetime | None = None) -> tuple[date, datetime] | None:
        """The as-of date and the instant it ends (naive UTC: the local midnight after it),
        or ``None`` for ``"latest_event"``, which the SQL takes from the events themselves.

        ``"today"`` is today in the reporting time zone at ``now`` (default: the clock). The
        instant is worked out here with zoneinfo because the marts compare it with UTC
        timestamps on every engine, and the DuckDB-to-Spark transpile turns a local-to-UTC
        ``at time zone`` into Spark's UTC-to-local ``from_utc_timestamp``.
        """
        if self.as_of == "latest_event":
            return None
        zone = ZoneInfo(self.timezone)
        if self.as_of == "today":
            day = (now or datetime.now(UTC)).astimezone(zone).date()
        else:
            day = self.as_of
        ends = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        return day, ends.astimezone(UTC).replace(tzinfo=None)


class RetentionConfig(_Strict):
    start_event: EventName | None = None
    return_event: EventName | None = None


class FunnelExclusion(_Strict):
    """An event that drops a user from the funnel when it comes after their step
    ``from_step`` and before their step ``to_step`` (or, when they never reach it, before
    the conversion window closes). Steps are 1-based, as in ``kpi_funnel.step_number``."""

    event: EventName
    from_step: int = Field(ge=1)
    to_step: int = Field(ge=2)


class FunnelConfig(_Strict):
    """An ordered funnel. ``exclusions`` holds :class:`FunnelExclusion` tables, or plain
    event names as shorthand for "between the first and the last step"."""

    name: str
    steps: list[EventName] = Field(min_length=2)
    window: Duration = "14d"
    exclusions: list[FunnelExclusion] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _shorthand_exclusions(cls, data: Any) -> Any:
        """``exclusions = ["x"]`` is ``[{ event = "x", from_step = 1, to_step = <last> }]``."""
        if not isinstance(data, dict) or not isinstance(data.get("exclusions"), list):
            return data
        steps = data.get("steps")
        last = len(steps) if isinstance(steps, list) else 2
        return {
            **data,
            "exclusions": [
                {"event": item, "from_step": 1, "to_step": last} if isinstance(item, str) else item
                for item in data["exclusions"]
            ],
        }

    @model_validator(mode="after")
    def _exclusion_steps(self) -> FunnelConfig:
        for rule in self.exclusions:
            if not rule.from_step < rule.to_step <= len(self.steps):
                raise ValueError(
                    f"exclusion {rule.event!r}: from_step {rule.from_step} and to_step "
                    f"{rule.to_step} must satisfy 1 <= from_step < to_step <= "
                    f"{len(self.steps)} (the funnel's steps)"
                )
        return self


class FeatureConfig(_Strict):
    name: str
    events: list[EventName] = Field(min_length=1)


class ActivationConfig(_Strict):
    event: EventName | None = None
    within_days: int = Field(default=7, ge=1)


class SegmentsConfig(_Strict):
    """Breakdowns of the survey scores. ``user_traits`` names traits of ``staging.users``
    (from identify calls or a users file); a survey mapping's ``segments`` are breakdowns
    too, without being listed here (:meth:`Config.breakdown_segments`)."""

    user_traits: list[str] = Field(default_factory=lambda: ["plan", "country", "platform"])
    min_responses: int = Field(default=30, ge=1)

    _plain_names = field_validator("user_traits")(_plain_segment_names)


class PainPointsConfig(_Strict):
    """How comments become pain points (see docs/pain_points.md for every knob's effect).

    ``n_clusters`` fixes k; without it k is chosen in [min_k, max_k] by silhouette
    (``max_k`` unset: it grows with the number of distinct clauses). ``representation``:
    sentence embeddings (default; ``embedding_model`` = a folder with ``model.onnx`` and
    ``tokenizer.json`` replaces the shipped MiniLM) or ``"tfidf"`` (character n-grams, the
    fallback for huge corpora; ``"char_tfidf"`` is the same, its older name).
    """

    enabled: bool = True
    n_clusters: int | None = Field(default=None, ge=2)
    min_k: int = Field(default=3, ge=2)
    max_k: int | None = Field(default=None, ge=2)
    random_state: int = 0
    representation: Literal["embeddings", "tfidf", "char_tfidf"] = "embeddings"
    embedding_model: str | None = None
    #: embeddings: over-split clusters whose centres are this far from the corpus's mean
    #: centre cosine b towards 1 (cosine above b + (1 − b) × this) are one theme
    merge_similarity: float = Field(default=0.25, gt=0, lt=1)
    match_threshold: float = Field(default=0.5, gt=0, le=1)
    max_fit_comments: int = Field(default=200_000, ge=100)
    n_bootstrap: int = Field(default=1000, ge=0)
    behaviour_window_days: int = Field(default=28, ge=1)
    min_event_support: int = Field(default=3, ge=1)
    top_events: int = Field(default=5, ge=0)
    emerging_weeks: int = Field(default=4, ge=1)
    emerging_z: float = Field(default=1.645, gt=0)

    @model_validator(mode="after")
    def _k_range(self) -> PainPointsConfig:
        if self.max_k is not None and self.min_k > self.max_k:
            raise ValueError("pain_points.min_k must not exceed max_k")
        return self


class ValidationConfig(_Strict):
    """Thresholds and severities of the data-quality suites (see docs/validation.md).

    ``severities`` overrides the default severity of an expectation by name
    (``freshness = "critical"``) or by table and name (``"events.load_volume" = "critical"``);
    an unknown name is an error so that a typo cannot silently leave a check at its default.
    """

    enabled: bool = True
    max_anonymous_share: float = Field(default=0.5, ge=0, le=1)
    max_quarantine_share: float = Field(default=0.05, ge=0, le=1)
    freshness_hours: float = Field(default=48, gt=0)
    min_volume_ratio: float = Field(default=0.1, ge=0, le=1)
    volume_lookback_loads: int = Field(default=10, ge=1)
    event_name_max_length: int = Field(default=200, ge=1)
    comment_min_length: int = Field(default=1, ge=0)
    comment_max_length: int = Field(default=5000, ge=1)
    sample_size: int = Field(default=10, ge=1, le=1000)
    #: Batches with more rows are fetched and judged by GX in parts of about this many rows
    #: (split by a hash of the table's key), so memory does not grow with the batch.
    chunk_rows: int = Field(default=1_000_000, ge=1)
    severities: dict[str, Literal["critical", "warning"]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _bounds_live_in_ingest(cls, data: Any) -> Any:
        moved = sorted({"earliest_timestamp", "max_future"} & set(data or {}))
        if moved:
            raise ValueError(
                f"{', '.join(moved)} belong(s) in [ingest]: ingest and validation share one "
                "pair of timestamp bounds"
            )
        return data

    @field_validator("severities")
    @classmethod
    def _known_expectations(cls, value: dict[str, str]) -> dict[str, str]:
        from pmanalytics.quality.catalog import unknown_severity_keys  # no GX import

        unknown = unknown_severity_keys(value)
        if unknown:
            raise ValueError(f"unknown expectation name(s) {unknown}; see docs/validation.md")
        return value

    @model_validator(mode="after")
    def _comment_bounds(self) -> ValidationConfig:
        if self.comment_min_length > self.comment_max_length:
            raise ValueError("comment_min_length must not exceed comment_max_length")
        return self


class LakeConfig(_Strict):
    """Staged tables as Parquet folders that other engines read (docs/scaling.md).

    ``enabled`` makes every ``build`` write the lake after staging; ``build --engine spark``
    writes it whatever this says, because Spark reads the staged tables from there.
    """

    enabled: bool = False
    path: str = "data/lake"


class SparkConfig(_Strict):
    """Where and how ``build --engine spark`` runs the marts (docs/scaling.md).

    ``master`` is any Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``);
    ``output`` is the folder whose ``marts/<name>/`` holds each mart as Parquet; ``conf`` is
    passed to the session as it is (``"spark.executor.memory" = "4g"``).
    """

    master: str = Field(default="local[2]", min_length=1)
    output: str = "data/spark"
    app_name: str = "pmanalytics"
    log_level: Literal["ALL", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"] = "ERROR"
    conf: dict[str, str] = Field(default_factory=dict)

    @field_validator("conf")
    @classmethod
    def _spark_keys(cls, value: dict[str, str]) -> dict[str, str]:
        odd = sorted(k for k in value if not k.startswith("spark."))
        if odd:
            raise ValueError(f"Spark settings start with 'spark.': {odd}")
        return value


class Config(_Strict):
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    sources: list[SourceConfig] = Field(default_factory=list)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    funnels: list[FunnelConfig] = Field(default_factory=list)
    features: list[FeatureConfig] = Field(default_factory=list)
    activation: ActivationConfig = Field(default_factory=ActivationConfig)
    segments: SegmentsConfig = Field(default_factory=SegmentsConfig)
    pain_points: PainPointsConfig = Field(default_factory=PainPointsConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    lake: LakeConfig = Field(default_factory=LakeConfig)
    spark: SparkConfig = Field(default_factory=SparkConfig)

    #: The folder relative paths in the file are resolved against (the config file's folder).
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    #: The file this config was read from (``None``: defaults or a mapping); never overwritten.
    config_file: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _model_folder_from_the_config_file(cls, data: Any) -> Any:
        """``[pain_points] embedding_model`` is a folder the pain-point stage opens as given:
        made relative to the config file here, like every other path in the file, so a
        config copied to another project keeps working from any working folder."""
        if not isinstance(data, dict) or data.get("base_dir") is None:
            return data
        pain = data.get("pain_points")
        if not isinstance(pain, dict) or not isinstance(pain.get("embedding_model"), str):
            return data
        folder = Path(pain["embedding_model"]).expanduser()
        if folder.is_absolute():
            return data
        resolved = str(Path(data["base_dir"]) / folder)
        return {**data, "pain_points": {**pain, "embedding_model": resolved}}

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        for label, names in (
            ("sources", [s.name for s in self.sources]),
            ("funnels", [f.name for f in self.funnels]),
            ("features", [f.name for f in self.features]),
        ):
            seen = {n for n in names if names.count(n) > 1}
            if seen:
                raise ValueError(f"duplicate {label} name(s): {sorted(seen)}")
        return self

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise ConfigError(f"no source named {name!r} in [[sources]] (known: {known})")

    def breakdown_segments(self) -> list[str]:
        """What survey scores are broken down by: ``[segments] user_traits``, then every
        survey mapping's ``segments`` (a column such as an NHS trust needs no second
        setting), each name once, in that order."""
        names = list(self.segments.user_traits)
        for source in self.sources:
            if source.mapping is not None:
                names.extend(source.mapping.segments)
        return list(dict.fromkeys(names))

    def resolve(self, path: str | Path) -> Path:
        """Resolve a path from the config file relative to the config file's folder."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate


def _format_errors(error: ValidationError, origin: str) -> str:
    lines = [f"{origin}: invalid configuration"]
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        lines.append(f"  - {key}: {message}")
    return "\n".join(lines)


def parse_config(
    data: dict,
    *,
    base_dir: Path | None = None,
    origin: str = "config",
    config_file: Path | None = None,
) -> Config:
    """Validate an already-parsed mapping; errors name the offending key."""
    try:
        return Config.model_validate(
            {**data, "base_dir": base_dir or Path.cwd(), "config_file": config_file}
        )
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, origin)) from None


def find_config(start: str | Path | None = None) -> Path | None:
    """The nearest ``pmanalytics.toml`` in ``start`` (default: the working folder) or a
    folder above it, like git finds its repository.

    Jupyter starts a kernel in the notebook's own folder (``notebooks/``), one level below
    the project: there ``./pmanalytics.toml`` does not exist, but the project's does.
    """
    folder = Path(start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / DEFAULT_CONFIG_FILE
        if path.is_file():
            return path
    return None


def load_config(path: str | Path | None = None) -> Config:
    """Read ``pmanalytics.toml``.

    With no path, ``./pmanalytics.toml`` is used when it exists, else the defaults.
    """
    if path is None:
        default = Path(DEFAULT_CONFIG_FILE)
        if not default.exists():
            return parse_config({})
        path = default
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a folder: name the .toml file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 ({exc.reason})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(
        data, base_dir=path.resolve().parent, origin=str(path), config_file=path.resolve()
    )


def resolve_db_path(config: Config, override: str | Path | None = None) -> Path:
    """``--db`` beats ``PMA_DB_PATH`` beats ``[warehouse] path``; always a file."""
    if override:
        return Path(check_warehouse_path(override))
    env = os.environ.get(DB_PATH_ENV)
    if env:
        return Path(check_warehouse_path(env))
    return config.resolve(check_warehouse_path(config.warehouse.path))


#: ``:memory:``, ``md:db``, ``s3://…``: DuckDB names that are not a file on this machine
_NOT_A_FILE = re.compile(r"^(?::|[A-Za-z][A-Za-z0-9+.-]+:)")


def check_warehouse_path(db_path: str | Path, *, allow_memory: bool = False) -> str:
    """The warehouse is a file: an in-memory database would be thrown away at exit, and a
    ``md:`` / ``s3://`` name would make DuckDB reach the network. ``allow_memory`` lets
    code (tests, a notebook's scratch database) open ``:memory:`` on purpose."""
    text = str(db_path)
    if allow_memory and text == ":memory:":
        return text
    if not text.strip() or _NOT_A_FILE.match(text):
        raise ConfigError(
            f"warehouse {text!r} is not a file path: give a .duckdb file (--db, PMA_DB_PATH "
            "or [warehouse] path)"
        )
    return text
