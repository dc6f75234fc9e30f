-- A table, not a view: millions of lines at a million customers. As a view, each of its
-- tests and each model reading it re-ran the latest-export-wins window over all of bronze
-- (make bench SCALE=1000000: 5 tests x ~4 s, plus int_orders__unified).
{{ config(materialized="table") }}

-- One row per ERP sales-out line. Record key (订单来源, 原始子单号), else
-- (订单来源, 原始单号, 商家编码) when the sub-order id is empty: the latest export wins.
with

latest as (

    select * from {{ ref('stg_erp__sales_history') }}
    {{ latest_export_wins(['sales_line_key']) }}

)

select * from latest
