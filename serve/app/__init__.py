"""The FastAPI application: `main.create_app` wires settings, engine, store and services; the
routes under `routes/` stay thin (parse, call a service, return); `openapi` and the dashboard's
static files complete it."""
