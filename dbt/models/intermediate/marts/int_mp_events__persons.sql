-- One row per Mini Program event (deduplicated on event_id) with the person it belongs
-- to and the person whose share brought it. An event belongs to the person of its openid,
-- else of its device (anonymous_id) when that device is in the identity table: shared
-- devices are blocked upstream, so a device present there maps to exactly one person.
-- Events of unknown devices without an openid belong to nobody (person_id null).
--
-- Tens of millions of rows at a million customers, so built incrementally (delete+insert
-- by event_id): a night maps only
--   * the events staging re-decided since this table was built (their file version is
--     newer than any here), and the events whose file version is gone upstream (they fell
--     back to another export, or left: the post-hook deletes those with no row left);
--   * the events carrying an identifier (openid, device, share_from openid) whose person
--     differs from the mapping this table was built with (a merge, a split, an identifier
--     new to the graph, newly blocked or erased): that mapping is recorded after every
--     build in int_mp_events__persons__mapped_identifiers (macros/incremental_person_mapping.sql).
-- `dbt build --full-refresh` (or a missing record) maps every event: the same table
-- (tests/test_incremental_nights.py). On Spark a plain table, like its staging model.
--
-- Built after int_identity__retraced_paths, never beside it: the tracing is a Python model,
-- its memory outside DuckDB's 4 GB limit, and the two side by side took a fresh build at a
-- million customers to 6.2 GB (the target is 6 GB; other orders of the threads: 5.3-5.6 GB).
-- depends_on: {{ ref('int_identity__retraced_paths') }}
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    unique_key="event_id",
    incremental_strategy="delete+insert",
    on_schema_change="append_new_columns",
    post_hook=[
        "{{ delete_rows_of_vanished_versions(ref('stg_wechat_mp__events')) }}",
        "{{ record_mapped_identifiers(\"select identifier_type, identifier_value, person_id from \" ~ ref('int_identity__persons') ~ \" where identifier_type in ('mp_openid', 'mp_anonymous_id')\") }}",
    ],
) }}
{%- set record = mapped_identifiers_relation() if is_incremental() else none %}
with

identifiers as (

    select identifier_type, identifier_value, person_id
    from {{ ref('int_identity__persons') }}
    where identifier_type in ('mp_openid', 'mp_anonymous_id')

),

{% if record is not none %}
changed_identifiers as (

    {{ changed_identifiers('identifiers', record) }}

),

changed_openids as (

    select identifier_value from changed_identifiers where identifier_type = 'mp_openid'

),

changed_devices as (

    select identifier_value from changed_identifiers where identifier_type = 'mp_anonymous_id'

),

upstream_files as (

    select distinct _file_sha256, _loaded_at
    from {{ ref('stg_wechat_mp__events') }}

),

changed_keys as (

    -- re-decided by staging since this table was built
    select event_id
    from {{ ref('stg_wechat_mp__events') }}
    where _loaded_at > (
        select coalesce(max(_loaded_at), cast('1970-01-01 00:00:00+00' as {{ type_instant() }}))
        from {{ this }}
    )
    union
    -- mapped from a file version staging no longer has
    select current.event_id
    from {{ this }} as current
    where not exists (
        select 1 from upstream_files
        where upstream_files._file_sha256 = current._file_sha256
            and upstream_files._loaded_at = current._loaded_at
    )
    union
    select event_id from {{ ref('stg_wechat_mp__events') }}
    where openid in (select identifier_value from changed_openids)
    union
    select event_id from {{ ref('stg_wechat_mp__events') }}
    where share_from in (select identifier_value from changed_openids)
    union
    select event_id from {{ ref('stg_wechat_mp__events') }}
    where anonymous_id in (select identifier_value from changed_devices)

),

{% endif %}
events as (

    select
        event_id,
        event,
        event_time,
        openid,
        anonymous_id,
        share_from,
        nullif(trim(channel), '') as channel,
        order_key,
        amount,
        _file_sha256,
        _loaded_at

    from {{ ref('stg_wechat_mp__events') }}
    {% if record is not none %}
    where event_id in (select event_id from changed_keys)
    {% endif %}

),

mapped as (

    select
        events.event_id,
        events.event,
        events.event_time,
        events.openid,
        events.anonymous_id,
        events.share_from,
        events.channel,
        events.order_key,
        events.amount,
        coalesce(by_openid.person_id, by_device.person_id) as person_id,
        case
            when by_openid.person_id is not null then 'mp_openid'
            when by_device.person_id is not null then 'mp_anonymous_id'
        end as person_matched_by,
        sharer.person_id as share_from_person_id,
        events._file_sha256,
        events._loaded_at

    from events
    left join identifiers as by_openid
        on by_openid.identifier_type = 'mp_openid'
        and events.openid = by_openid.identifier_value
    left join identifiers as by_device
        on by_device.identifier_type = 'mp_anonymous_id'
        and events.anonymous_id = by_device.identifier_value
    left join identifiers as sharer
        on sharer.identifier_type = 'mp_openid'
        and events.share_from = sharer.identifier_value

)

select * from mapped
