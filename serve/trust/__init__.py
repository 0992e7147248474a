"""Who may ask, and how much: API keys and scopes, per-key rate limits, request size limits,
and the drain that refuses new requests while a replica shuts down."""
