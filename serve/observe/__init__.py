"""What an operator sees: the log format, Prometheus metrics, the access log and request ids."""
