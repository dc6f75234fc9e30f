-- One row per ERP refund/return (退换单号): the row of the latest export wins as a whole.
with

source as (

    select * from {{ source('bronze', 'erp_refunds') }}

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
