"""HTTP routes, kept thin: parse, call a service object from `app.state`, return."""
