{{ config(materialized='table', post_hook=refresh_table_statistics()) }}
{#-
    Shop customer record -> unified customer id. Commerce models join orders, sessions and
    carts through it; a record missing here (an export of orders alone) keeps its own id.
-#}
with

members as (
    select * from {{ ref('int_identity_profile_members') }}
),

final as (
    select
        commerce_customer_id,
        customer_id,
        profile_key
    from members
    where commerce_customer_id is not null
)

select * from final
