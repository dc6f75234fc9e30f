-- Every exported version of every ERP sales-out line (history: identity evidence needs
-- every receiver phone and buyer name ever exported). stg_erp__sales_lines keeps the latest.
with

source as (

    select * from {{ source('bronze', 'erp_sales') }}

),

renamed as (

    select
        ----------  ids
        erp_order_id,
        platform_order_id,
        platform_sub_order_id,
        merchant_sku,
        order_source,
        {{ order_source_to_platform('order_source') }} as platform,
        buyer_nick,

        ----------  attributes
        order_status,
        shop_name,
        goods_name,
        receiver_name,
        receiver_phone,
        receiver_phone_normalized,
        receiver_phone_is_masked,

        ----------  amounts (yuan)
        quantity,
        unit_price,
        allocated_total,
        receivable_amount,

        ----------  timestamps
        traded_at,
        traded_at_raw,
        paid_at,
        paid_at_raw,
        shipped_at,
        shipped_at_raw,

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
        -- the record key as one value: 原始子单号, else 原始单号|商家编码
        order_source || '|' || coalesce(
            platform_sub_order_id,
            platform_order_id || '|' || coalesce(merchant_sku, '')
        ) as sales_line_key,
        *

    from renamed

)

select * from keyed
