-- One row per Douyin sub-order (子订单编号): the row of the latest export wins as a whole.
--
-- A table built incrementally, as stg_erp__sales_lines explains (macro rows_to_redecide:
-- a night re-decides only the records its new or vanished bronze file versions touch).
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    unique_key="sub_order_id",
    incremental_strategy="delete+insert",
    on_schema_change="fail",
    post_hook="{{ delete_rows_of_vanished_files('douyin_orders') }}",
) }}
with

source as (

    {{ rows_to_redecide(source('bronze', 'douyin_orders'), 'sub_order_id') }}

),

renamed as (

    select
        ----------  ids
        sub_order_id,
        order_id,
        'douyin' as platform,
        {{ order_key("'douyin'", 'order_id') }} as order_key,
        product_id,
        merchant_sku,

        ----------  attributes
        order_status,
        after_sale_status,
        coalesce(after_sale_status = '退款成功', false) as is_refunded,
        product_name,
        quantity,
        influencer_nick,
        receiver_name,
        receiver_phone,
        receiver_phone_normalized,
        receiver_phone_is_masked,
        province,
        city,
        district,
        address_detail,

        ----------  amounts (yuan)
        goods_amount,
        payable_amount,

        ----------  timestamps
        submitted_at,
        submitted_at_raw,
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
    {{ latest_export_wins(['sub_order_id']) }}

)

select * from latest
