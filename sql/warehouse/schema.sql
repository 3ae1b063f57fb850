-- The warehouse's fixed tables: raw (append-only, deduplicated), quarantine (rejected
-- records with a reason) and meta (file loads, runs, validation results).
-- Staging, intermediate and marts tables are built by the model runner from sql/staging,
-- sql/intermediate (helper tables, not part of the public contract) and sql/marts.

create schema if not exists raw;
create schema if not exists quarantine;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
create schema if not exists meta;

-- one row per Segment call or CSV/Parquet event row, first occurrence of each event_id
create table if not exists raw.events (
    event_id        varchar not null,
    event_type      varchar not null,   -- track | page | screen | identify | alias
    user_id         varchar,
    anonymous_id    varchar,
    previous_id     varchar,            -- alias calls only
    event           varchar,            -- null for identify / alias
    occurred_at     timestamp not null, -- UTC
    session_id      varchar,
    properties      json,
    context         json,
    traits          json,               -- identify calls only
    source_file     varchar not null,
    row_number      bigint not null,
    load_id         varchar not null,
    ingested_at     timestamp not null
);

-- one row per distinct users-file record (a later record for a user updates its traits)
create table if not exists raw.users (
    record_id       varchar not null,   -- md5 of the record's content
    user_id         varchar not null,
    created_at      timestamp,
    traits          json,
    source_file     varchar not null,
    row_number      bigint not null,
    load_id         varchar not null,
    ingested_at     timestamp not null
);

-- one row per survey response, score on the metric's canonical scale
create table if not exists raw.survey_responses (
    response_id     varchar not null,
    user_id         varchar,
    survey          varchar,
    metric          varchar not null,   -- nps | csat | ces
    score           double not null,
    score_raw       varchar not null,   -- as written in the file
    submitted_at    timestamp,          -- UTC
    comment         varchar,
    attributes      json,
    source_file     varchar not null,
    row_number      bigint not null,
    load_id         varchar not null,
    ingested_at     timestamp not null
);

create table if not exists quarantine.events (
    source_file     varchar not null,
    row_number      bigint,
    reason          varchar not null,
    raw_record      varchar,
    quarantined_at  timestamp not null,
    load_id         varchar not null
);

create table if not exists quarantine.users (
    source_file     varchar not null,
    row_number      bigint,
    reason          varchar not null,
    raw_record      varchar,
    quarantined_at  timestamp not null,
    load_id         varchar not null
);

create table if not exists quarantine.survey_responses (
    source_file     varchar not null,
    row_number      bigint,
    reason          varchar not null,
    raw_record      varchar,
    quarantined_at  timestamp not null,
    load_id         varchar not null
);

-- one row per committed file load; rows_read = rows_loaded + rows_duplicate + rows_quarantined
create table if not exists meta.ingested_files (
    load_id          varchar not null,
    source           varchar not null,
    kind             varchar not null,
    path             varchar not null,
    sha256           varchar not null,
    bytes            bigint not null,
    rows_read        bigint not null,
    rows_loaded      bigint not null,
    rows_duplicate   bigint not null,
    rows_quarantined bigint not null,
    started_at       timestamp not null,
    finished_at      timestamp not null
);

-- what each input file hashed to, with what the file system said about it then: a rerun
-- trusts the hash while the file's size, times and inode are unchanged (ingest/memo.py)
create table if not exists meta.file_hashes (
    path          varchar not null,
    bytes         bigint not null,
    mtime_ns      bigint not null,
    ctime_ns      bigint not null,
    inode         ubigint not null,
    sha256        varchar not null,
    hashed_at_ns  bigint not null
);

-- one row: this warehouse's identity, so caches keyed on it die with the file
create table if not exists meta.warehouse (
    warehouse_id  varchar not null,
    created_at    timestamp not null
);
insert into meta.warehouse
select gen_random_uuid()::varchar, now()::timestamp
where not exists (select 1 from meta.warehouse);

create table if not exists meta.pipeline_runs (
    run_id       varchar not null,
    started_at   timestamp not null,
    finished_at  timestamp,
    status       varchar not null,
    parameters   json
);

create table if not exists meta.validation_results (
    run_id            varchar not null,
    table_name        varchar not null,
    expectation       varchar not null,
    severity          varchar not null,
    success           boolean not null,
    unexpected_count  bigint,
    details           json,
    validated_at      timestamp not null
);

-- the validation gate's decisions, one row per load per decision: the latest one counts.
-- A load whose latest verdict is not 'passed' or 'accepted' is validated again by the next
-- build, so a failed load keeps blocking the marts until it passes or is accepted.
create table if not exists meta.load_verdicts (
    load_id     varchar not null,
    verdict     varchar not null,   -- passed | failed | accepted
    run_id      varchar,            -- the validation run (null for an acceptance)
    reason      varchar,            -- accepted: why, as the person said it
    decided_at  timestamp not null
);

-- models built incrementally (pmanalytics/incremental.py): what each table was last built
-- from, so the next build can prove an incremental step equals a full rebuild or do one
create table if not exists meta.model_state (
    model        varchar not null,  -- layer.name
    fingerprint  varchar not null,  -- sha256 of its SQL, parameters, input columns, config
    row_count    bigint not null,   -- the table's rows after that build
    built_at     timestamp not null
);

-- one row per model per source load its table was built from, with the load's source rows
create table if not exists meta.model_loads (
    model        varchar not null,
    load_id      varchar not null,
    source_rows  bigint not null
);
