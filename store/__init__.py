"""Lucid's persistence: PostgreSQL through psycopg 3, and nothing but SQL.

`store.db` opens pools, `store.migrate` applies `migrations/*.sql`, `store.embedded` runs a private
PostgreSQL when none is configured, and one module per table family holds the queries.
"""
