-- One row per retired person id and the id that survived it. Accumulates across runs:
-- a retired id stays listed, so a BI filter on an old id can be redirected.
-- A person id retires when none of its identifiers carries it any more: its person
-- merged into an older one (whose id survives), or an older identifier arrived late.
-- The survivor is the current person holding most of the retired person's identifiers.
-- Append-only: the is_incremental() filter below never selects an id already listed.
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

with

previous as (

    select person_id, node_key
    from {{ ref('int_identity__persons').schema }}.int_identity__persons_previous

),

current_persons as (

    select person_id, node_key from {{ ref('int_identity__persons') }}

),

retired as (

    select distinct previous.person_id
    from previous
    where not exists (
        select 1 from current_persons where current_persons.person_id = previous.person_id
    )

),

votes as (

    select
        previous.person_id as retired_person_id,
        current_persons.person_id,
        count(*) as shared_identifiers

    from previous
    inner join retired on previous.person_id = retired.person_id
    inner join current_persons on previous.node_key = current_persons.node_key
    group by previous.person_id, current_persons.person_id

),

survivors as (

    select
        retired_person_id,
        person_id,
        row_number() over (
            partition by retired_person_id order by shared_identifiers desc, person_id
        ) as preference

    from votes

)

select
    retired_person_id,
    person_id,
    current_timestamp as merged_at

from survivors
where preference = 1
{% if is_incremental() %}
    and retired_person_id not in (select retired_person_id from {{ this }})
{% endif %}
