"""Dagster code location of the private-domain customer data warehouse."""
