-- Each identifier's parent on a shortest path of kept links to its person's anchor
-- (dagster_project/identity/paths.py), with its person; int_identity__explain adds the
-- evidence of each link.
--
-- Incremental by person (delete+insert by identifier): a night traces only the persons
-- int_identity__persons_to_retrace lists (int_identity__retraced_paths) and keeps every
-- other row; the post-hooks delete the rows of identifiers that left every person and
-- record the identity file versions this build saw (read by int_identity__persons_to_retrace).
-- `dbt build --full-refresh` traces every person (the same rows: tests/test_incremental_nights.py).
-- On Spark a plain table, like the other incremental models. A table built before person_id
-- was a column gains it (append_new_columns): with no record of file versions yet, that
-- build traces every person, so no row keeps a null.
{{ config(
    materialized="table" if target.type == "spark" else "incremental",
    incremental_strategy="delete+insert",
    unique_key="node_key",
    on_schema_change="append_new_columns",
    post_hook=[
        "{{ delete_rows_of_identifiers_without_person(ref('int_identity__persons')) }}",
        "{{ record_file_versions(ref('int_identity__file_links')) }}",
    ],
) }}
-- depends_on: {{ ref('int_identity__file_links') }} {{ ref('int_identity__persons') }}
select node_key, parent_key, hops, person_id
from {{ ref('int_identity__retraced_paths') }}
