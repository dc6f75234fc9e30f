-- One row per JD order line (订单号, 商品ID): the row of the latest export wins as a whole.
--
-- A table built incrementally, as stg_erp__sales_lines explains (macro rows_to_redecide:
-- a night re-decides only the records its new or vanished bronze file versions touch).
-- JD's record key is (订单号, 商品ID): a night re-decides every line of an order one of
-- whose lines it must re-decide (one key column in the filter).
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    unique_key=["order_id", "sku_id"],
    incremental_strategy="delete+insert",
    on_schema_change="fail",
    post_hook="{{ delete_rows_of_vanished_files('jd_orders') }}",
) }}
with

source as (

    {{ rows_to_redecide(source('bronze', 'jd_orders'), 'order_id') }}

),

renamed as (

    select
        ----------  ids
        order_id,
        sku_id,
        'jd' as platform,
        {{ order_key("'jd'", 'order_id') }} as order_key,

        ----------  attributes
        order_status,
        item_name,
        quantity,
        merchant_receivable,
        customer_name,
        customer_address,
        customer_phone,
        customer_phone_normalized,
        customer_phone_is_masked,

        ----------  amounts (yuan)
        line_amount,

        ----------  timestamps
        ordered_at,
        ordered_at_raw,
        paid_at,
        paid_at_raw,

        ----------  lineage
        _source_file,
        _row_number,
        _export_date,
        _loaded_at,
        _file_sha256,
        _extra

    from source

),

latest as (

    select * from renamed
    {{ latest_export_wins(['order_id', 'sku_id']) }}

)

select * from latest
