-- One row per Youzan order (订单号): the row of the latest export wins as a whole.
--
-- A table built incrementally, as stg_erp__sales_lines explains (macro rows_to_redecide:
-- a night re-decides only the records its new or vanished bronze file versions touch).
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    unique_key="order_id",
    incremental_strategy="delete+insert",
    on_schema_change="fail",
    post_hook="{{ delete_rows_of_vanished_files('youzan_orders') }}",
) }}
with

source as (

    {{ rows_to_redecide(source('bronze', 'youzan_orders'), 'order_id') }}

),

renamed as (

    select
        ----------  ids
        order_id,
        'youzan' as platform,
        {{ order_key("'youzan'", 'order_id') }} as order_key,

        ----------  attributes
        order_status,
        sales_channel,
        distributor,
        item_names,
        buyer_nick,
        buyer_phone,
        buyer_phone_normalized,
        buyer_phone_is_masked,
        receiver_phone,
        receiver_phone_normalized,
        receiver_phone_is_masked,

        ----------  amounts (yuan)
        paid_amount,
        refunded_amount,

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
