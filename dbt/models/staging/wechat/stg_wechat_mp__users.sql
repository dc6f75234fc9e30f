-- One row per Mini Program user: the row of the latest export wins as a whole.
with

history as (

    select * from {{ ref('stg_wechat_mp__user_history') }}

),

latest as (

    select * from history
    {{ latest_export_wins(['openid']) }}

)

select * from latest
