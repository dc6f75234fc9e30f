-- One row per Tmall order (订单报表): the row of the latest export wins as a whole.
--
-- A table built incrementally, as stg_erp__sales_lines explains (macro rows_to_redecide:
-- a night re-decides only the records its new or vanished bronze file versions touch).
-- (As a view, its five tests and int_orders__unified each re-ran the window over the
-- 2.0M bronze rows of 1.07M orders at a million customers.)
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    unique_key="order_id",
    incremental_strategy="delete+insert",
    on_schema_change="fail",
    post_hook="{{ delete_rows_of_vanished_files('tmall_orders') }}",
) }}
with

source as (

    {{ rows_to_redecide(source('bronze', 'tmall_orders'), 'order_id') }}

),

renamed as (

    select
        ----------  ids
        order_id,
        'tmall' as platform,
        {{ order_key("'tmall'", 'order_id') }} as order_key,
        buyer_nick,

        ----------  attributes
        order_status,
        shop_name,
        item_title,
        item_quantity,
        receiver_name,
        receiver_address,
        receiver_phone,
        receiver_phone_normalized,
        receiver_phone_is_masked,

        ----------  amounts (yuan)
        goods_amount,
        postage,
        total_amount,
        paid_amount,
        refund_amount,

        ----------  timestamps
        created_at,
        created_at_raw,
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
    {{ latest_export_wins(['order_id']) }}

)

select * from latest
