{#-
    Every non-NULL value of the column lies within [min_value, max_value] (either bound may be
    omitted); `inclusive: false` excludes the bounds. Failing rows are returned.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

with

checked as (

    select {{ column_name }} as checked_value
    from {{ model }}
    where {{ column_name }} is not null

)

select * from checked
where
    1 = 0
    {%- if min_value is not none %}
    or checked_value {{ '<' if inclusive else '<=' }} {{ min_value }}
    {%- endif %}
    {%- if max_value is not none %}
    or checked_value {{ '>' if inclusive else '>=' }} {{ max_value }}
    {%- endif %}

{% endtest %}
