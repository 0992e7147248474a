"""A chat turn from request to log: the chat service, the streaming relay, the turn and its
durable log, conversation threading, idempotent retries, and the on-disk spool that keeps turns
while PostgreSQL is away."""
