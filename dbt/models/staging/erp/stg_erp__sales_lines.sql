-- One row per ERP sales-out line. Record key (订单来源, 原始子单号), else
-- (订单来源, 原始单号, 商家编码) when the sub-order id is empty: the latest export wins.
--
-- Millions of lines at a million customers, so a table (as a view each test and each model
-- reading it re-ran the window over all of bronze), built incrementally like
-- stg_wechat_mp__events: a night re-decides the keys of the bronze file versions loaded
-- since the last build and those of versions gone from bronze (macro keys_to_redecide),
-- each against all its rows; the post-hook deletes the rows of gone versions whose key has
-- no row left. On Spark a plain table, like the other incremental models.
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    unique_key="sales_line_key",
    incremental_strategy="delete+insert",
    on_schema_change="fail",
    post_hook="{{ delete_rows_of_vanished_versions(ref('stg_erp__sales_history')) }}",
) }}

with

history as {{ inline_cte() }} (

    {{ rows_to_redecide(ref('stg_erp__sales_history'), 'sales_line_key') }}

),

keys_with_several_rows as (

    {{ keys_with_several_rows('history', ['sales_line_key']) }}

),

latest as (

    {{ latest_export_rows('history', ['sales_line_key'], 'keys_with_several_rows') }}

)

select * from latest
