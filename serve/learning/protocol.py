"""What the API and the Celery worker agree on over the broker: the learning task's name.

Its own module because the API enqueues by name alone: importing serve.learning.tasks would build
the Celery app and read the settings, and the worker's side must not be needed to start a run.
"""

TASK_LEARN = "lucid.learn"
