"""Learning runs: the Celery application and nightly schedule, the run itself
(collect -> dream -> distill -> gate -> promote), and the API's side (enqueue, list, read)."""
