-- Small helpers shared by the ingest SQL (temporary: they live only in this connection).
-- A JSON value here is always minified text written by DuckDB (json_transform, ->), so
-- its first character tells its type: '"' a string, '{' an object, '[' a list, 'n' null.
-- Reading that character instead of calling json_type (a parse per field) made the NDJSON
-- parse several times cheaper (docs/benchmarks.md); only a number needs json_type, to
-- tell an integer from a double.
create or replace temp macro _pma_is_text(value) as
    value is null or prefix(value::varchar, '"') or value::varchar = 'null';
create or replace temp macro _pma_is_scalar(value) as
    case
        when value is null or prefix(value::varchar, '"') or value::varchar = 'null' then true
        when prefix(value::varchar, '{') or prefix(value::varchar, '[') then false
        else coalesce(json_type(value) in ('BIGINT', 'UBIGINT'), false)
    end;
create or replace temp macro _pma_is_plain(value) as
    value is null or not (prefix(value::varchar, '{') or prefix(value::varchar, '['));
create or replace temp macro _pma_is_object(value) as
    value is null or prefix(value::varchar, '{') or value::varchar = 'null';
create or replace temp macro _pma_text(value) as
    nullif(trim(value ->> '$'), '');
create or replace temp macro _pma_number(value) as
    case when value = round(value) then cast(round(value) as bigint)::varchar
        else value::varchar end;
-- a time with a UTC offset outside what any zone uses (-12:00 .. +14:00, minutes < 60):
-- DuckDB would apply "+99:00" as given and move the time by days. The offset is read by
-- position from the end ("+hh:mm" or "+hhmm" after a time): a regular expression per row
-- cost 2 s per million timestamps, this a fraction of that.
create or replace temp macro _pma_offset_out_of_range(sign, hours, minutes) as
    minutes > 59 or hours * 60 + minutes > case sign when '+' then 14 else 12 end * 60;
create or replace temp macro _pma_bad_offset(value) as
    case
        when value is null or length(value) < 16 or suffix(value, 'Z') then false
        -- "…10:00:00+hh:mm": a digit of the time, then the offset
        when substr(value, -6, 1) in ('+', '-') and substr(value, -3, 1) = ':'
                and substr(value, -7, 1) between '0' and '9'
                and contains(substr(value, 11, length(value) - 16), ':')
            then coalesce(_pma_offset_out_of_range(
                substr(value, -6, 1),
                try_cast(substr(value, -5, 2) as integer),
                try_cast(substr(value, -2, 2) as integer)
            ), false)
        -- "…10:00:00+hhmm"
        when substr(value, -5, 1) in ('+', '-') and substr(value, -6, 1) between '0' and '9'
                and contains(substr(value, 11, length(value) - 15), ':')
            then coalesce(_pma_offset_out_of_range(
                substr(value, -5, 1),
                try_cast(substr(value, -4, 2) as integer),
                try_cast(substr(value, -2, 2) as integer)
            ), false)
        else false
    end;
-- a JSON text whose first character (after JSON's white space) opens an object
create or replace temp macro _pma_starts_object(text) as
    case when prefix(text, '{') then true else prefix(ltrim(text, e' \t\r\n'), '{') end;
