{#-
  SQL twin of dagster_project.parsing.normalize_phone (sources/README.md, type `phone`),
  for phones that bronze cannot normalise because they sit inside JSON lists
  (WeCom follow_user[].remark_mobiles). Bronze phone columns are already normalised in
  Python: do not apply this macro to them.

  Rule: trim, unwrap Excel's ="...", full-width digits/punctuation to ASCII, strip
  spaces, dashes, brackets and ' ; then
    (+86|0086|86)? 1[3-9] + 9 digits   -> '+86' + the 11 digits   (mainland)
    +<cc>... / 00<cc>... (not +86), 7-15 digits -> '+<cc>...'      (other countries)
    anything else (masked 138****1234, landlines, junk) -> null (not a reject).
  The result is an expression; `expr` is evaluated several times, so pass a column or a
  lambda parameter, not a volatile expression.
-#}
{% macro normalize_phone(expr) -%}
{%- set trimmed -%}
regexp_replace(cast({{ expr }} as varchar), '^[\s\x{3000}\x{feff}]+|[\s\x{3000}\x{feff}]+$', '', 'g')
{%- endset -%}
{%- set unwrapped -%}
regexp_replace({{ trimmed }}, '^="(.*)"$', '\1')
{%- endset -%}
{%- set ascii -%}
translate({{ unwrapped }}, '０１２３４５６７８９＋－　', '0123456789+- ')
{%- endset -%}
{%- set compact -%}
regexp_replace({{ ascii }}, '[\s\-()''\x{a0}\x{feff}]', '', 'g')
{%- endset -%}
{%- set international -%}
regexp_replace({{ compact }}, '^00', '+')
{%- endset -%}
(case
    when regexp_matches({{ compact }}, '^(\+86|0086|86)?1[3-9][0-9]{9}$')
        then '+86' || right({{ compact }}, 11)
    when regexp_matches({{ international }}, '^\+[1-9][0-9]{6,14}$')
        and not starts_with({{ international }}, '+86')
        then {{ international }}
end)
{%- endmacro %}
