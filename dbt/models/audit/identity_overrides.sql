-- What every row of the analysts' identity overrides file did on this run: the links a
-- never_link row cut (with their evidence) or the link an always_link row added, or why
-- the row changed nothing; and the persons both identifiers belong to afterwards.
with

overrides as (

    select * from {{ ref('int_identity__overrides') }}

),

effects as (

    select * from {{ ref('int_identity__override_edges') }}

),

cut_evidence as (

    select
        effects.override_row,
        effects.left_key,
        effects.right_key,
        {{ join_distinct_sorted("links.evidence || ' (' || links.source || ')'", "', '") }} as link_evidence

    from effects
    inner join {{ ref('int_identity__guarded_links') }} as links
        on effects.left_key = least(links.left_type || ':' || links.left_value, links.right_type || ':' || links.right_value)
        and effects.right_key = greatest(links.left_type || ':' || links.left_value, links.right_type || ':' || links.right_value)
    where effects.change = 'cut' and links.guard_reason is null
    group by effects.override_row, effects.left_key, effects.right_key

),

persons as (

    select node_key, person_id from {{ ref('int_identity__persons') }}

)

select
    overrides.override_row,
    overrides.overrides_file,
    overrides.action,
    overrides.left_type,
    overrides.left_value,
    overrides.right_type,
    overrides.right_value,
    overrides.reason,
    overrides.author,
    overrides.added_on,
    effects.change,
    effects.left_key as link_left_key,
    effects.right_key as link_right_key,
    effects.link_weight,
    case when effects.change = 'added' then 'override_always_link' else cut_evidence.link_evidence end as link_evidence,
    effects.status,
    left_person.person_id as left_person_id,
    right_person.person_id as right_person_id

from overrides
inner join effects on overrides.override_row = effects.override_row
left join cut_evidence
    on effects.override_row = cut_evidence.override_row
    and effects.left_key = cut_evidence.left_key and effects.right_key = cut_evidence.right_key
left join persons as left_person on overrides.left_key = left_person.node_key
left join persons as right_person on overrides.right_key = right_person.node_key
