-- One row per Youzan order (订单号): the row of the latest export wins as a whole.
with

source as (

    select * from {{ source('bronze', 'youzan_orders') }}

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
