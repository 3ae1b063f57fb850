-- Small helpers shared by the ingest SQL (temporary: they live only in this connection).
create or replace temp macro _pma_is_text(value) as
    value is null or json_type(value) in ('VARCHAR', 'NULL');
create or replace temp macro _pma_is_scalar(value) as
    value is null or json_type(value) in ('VARCHAR', 'BIGINT', 'UBIGINT', 'NULL');
create or replace temp macro _pma_is_object(value) as
    value is null or json_type(value) in ('OBJECT', 'NULL');
create or replace temp macro _pma_text(value) as
    nullif(trim(value ->> '$'), '');
create or replace temp macro _pma_number(value) as
    case when value = round(value) then cast(round(value) as bigint)::varchar
        else value::varchar end;
