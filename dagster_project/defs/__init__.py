"""One module per domain: ingestion (bronze), dbt (staging/identity/marts), serving."""
