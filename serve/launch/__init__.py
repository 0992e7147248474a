"""Starting the system: the `make run` launcher, the engine and worker processes and their
supervisor, the embedded broker, model preparation, and the dev admin key."""
