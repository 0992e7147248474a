"""A replica's life beyond single requests: work that outlives the request that started it
(`background`), and the graceful shutdown that lets requests in flight finish (`drain`)."""
