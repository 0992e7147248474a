"""Adapter versions as the API serves them: the model catalog, hot swap from the registry, the
checks an adapter passes before loading, and the admin registry (promote, roll back, pin)."""
