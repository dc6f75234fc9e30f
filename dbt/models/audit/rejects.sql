-- audit.rejects: the rejects table of landing.md, one row per rejected bronze row/column.
-- Every bronze asset writes its rejects next to its rows
-- ($WAREHOUSE_DIR/bronze/_rejects/<source>/export_date=<d>/<file>.parquet; a zero-row
-- _rejects/_schema/_schema/empty.parquet keeps the glob non-empty), so this model
-- depends on every one of them (bronze_source_names() is generated from the contracts):
{%- for source_name in bronze_source_names() %}
-- depends_on: {{ source('bronze', source_name) }}
{%- endfor %}
with

source as (

    select * from {{ bronze_rejects() }}

),

renamed as (

    select
        source,
        source_file,
        cast(row_number as bigint) as row_number,
        column_name,
        raw_value,
        reason,
        _export_date as export_date

    from source

)

select * from renamed
