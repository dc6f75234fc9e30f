-- One row per ERP refund/return (退换单号): the row of the latest export wins as a whole.
--
-- A table built incrementally, as stg_erp__sales_lines explains (macro rows_to_redecide:
-- a night re-decides only the records its new or vanished bronze file versions touch).
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    unique_key="refund_id",
    incremental_strategy="delete+insert",
    on_schema_change="fail",
    post_hook="{{ delete_rows_of_vanished_files('erp_refunds') }}",
) }}
with

source as (

    {{ rows_to_redecide(source('bronze', 'erp_refunds'), 'refund_id') }}

),

renamed as (

    select
        ----------  ids
        refund_id,
        platform_order_id,
        order_source,
        {{ order_source_to_platform('order_source') }} as platform,

        ----------  attributes
        refund_type,
        status,
        -- only completed 退款/退货 count as refunds (landing.md); 换货 is an exchange
        coalesce(refund_type in ('退款', '退货') and status = '已完成', false) as is_completed_refund,

        ----------  amounts (yuan)
        refund_amount,

        ----------  timestamps
        created_at,
        created_at_raw,

        ----------  lineage
        _source_file,
        _row_number,
        _export_date,
        _loaded_at,
        _file_sha256,
        _extra

    from source

),

keyed as (

    select
        {{ order_key('platform', 'platform_order_id') }} as order_key,
        *

    from renamed

),

latest as (

    select * from keyed
    {{ latest_export_wins(['refund_id']) }}

)

select * from latest
