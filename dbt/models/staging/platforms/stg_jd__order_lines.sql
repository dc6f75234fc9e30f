-- One row per JD order line (订单号, 商品ID): the row of the latest export wins as a whole.
with

source as (

    select * from {{ source('bronze', 'jd_orders') }}

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
