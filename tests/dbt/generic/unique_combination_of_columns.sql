{#-
    Primary-key test for a composite key: no two rows share the same values of the listed
    columns (as dbt_utils' test of the same name; no dbt packages are installed here).
    Pair it with not_null on each key column.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

grouped as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as row_count

    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}

)

select * from grouped
where row_count > 1

{% endtest %}
