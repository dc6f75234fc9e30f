-- One row per Tmall order (订单报表): the row of the latest export wins as a whole.
with

source as (

    select * from {{ source('bronze', 'tmall_orders') }}

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
