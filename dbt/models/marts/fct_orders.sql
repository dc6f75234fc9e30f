-- One row per platform order with its buyer and the order rules of marts.md: what was
-- paid, refunded and kept, whether it counts as a purchase, and its rank among the
-- person's valid orders. Every "valid order" anywhere in the marts comes from here.
with

orders as (

    select * from {{ ref('int_orders__unified') }}

),

order_persons as (

    -- identity interface: an order belongs to the person of its `order` identifier
    select
        identifier_value as order_key,
        person_id

    from {{ ref('int_identity__persons') }}
    where identifier_type = 'order'

),

paid as (

    select
        orders.*,
        -- unpaid orders paid nothing, whatever amount the export shows (JD shows the
        -- line amount and Tmall 0.00 while unpaid)
        case
            when orders.paid_at is null then 0
            else coalesce(orders.recorded_paid_amount, 0)
        end::decimal(18, 2) as paid_amount

    from orders

),

refunded as (

    select
        *,
        -- the larger of the platform's refund figure and the ERP's completed refunds,
        -- capped at what was paid (an ERP refund can include postage compensation)
        least(
            paid_amount,
            greatest(coalesce(platform_refund_amount, 0), coalesce(erp_refund_amount, 0))
        )::decimal(18, 2) as refunded_amount

    from paid

),

netted as (

    select
        *,
        (paid_amount - refunded_amount)::decimal(18, 2) as net_amount,
        paid_at is not null and paid_amount - refunded_amount > 0 as is_valid

    from refunded

),

sequenced as (

    select
        netted.*,
        order_persons.person_id,
        case
            when netted.is_valid and order_persons.person_id is not null
                then row_number() over (
                    partition by order_persons.person_id, netted.is_valid
                    order by netted.paid_at, netted.order_key
                )
        end as valid_order_seq

    from netted
    left join order_persons on netted.order_key = order_persons.order_key

),

final as (

    select
        order_key,
        platform,
        platform_order_id,
        person_id,
        ordered_at,
        paid_at,
        {{ mart_beijing_date('paid_at') }} as paid_date,
        {{ mart_beijing_month('paid_at') }} as paid_month,
        paid_amount,
        refunded_amount,
        net_amount,
        is_valid,
        valid_order_seq::integer as valid_order_seq,
        record_source,
        platform_refund_amount,
        erp_refund_amount

    from sequenced

)

select * from final
