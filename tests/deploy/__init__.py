"""Tests of deploy/: the Compose file and the Kubernetes manifests, checked without Docker or a
cluster."""
