"""deploy/ checked without Docker or a cluster: every Kubernetes manifest against the Kubernetes
JSON schemas (kubernetes-validate, Kubernetes 1.33), deploy/compose.yaml against the Compose
specification schema (vendored by check-jsonschema), then what no schema sees. Each test also
shows its check rejecting a deliberately broken copy, so none passes vacuously.
"""

from __future__ import annotations

import copy

import pytest
import yaml
from pydantic import ValidationError

from tests.deploy.manifests import (
    COMPOSE,
    COMPOSE_RAW,
    DEPLOY,
    K8S,
    K8S_DIR,
    argv_of,
    beat_count,
    by_kind,
    compose_adapter_problems,
    compose_dependency_problems,
    compose_engine_problems,
    compose_health_problems,
    compose_schema_errors,
    compose_workloads,
    environment,
    gpu_problems,
    k8s_adapter_problems,
    k8s_argv,
    k8s_containers,
    k8s_engine_problems,
    k8s_env,
    k8s_probe_problems,
    k8s_schema_errors,
    k8s_service_problems,
    k8s_workloads,
    kustomize_resources,
    runs_beat,
    settings_from,
    unknown_lucid_names,
)

# A Deployment with a named port where a number must be.
BROKEN_DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  template:
    spec:
      containers: [{name: api, image: "lucid:0.1.0", ports: [{containerPort: http}]}]
"""
# A condition Compose does not know, and a misspelt top-level key.
BROKEN_COMPOSE = """
services:
  api:
    image: lucid:0.1.0
    depends_on: {redis: {condition: service_ready}}
  redis:
    image: redis:7
volume:
  adapters: {}
"""

# -- schemas ------------------------------------------------------------------------------------

@pytest.mark.parametrize("doc", K8S, ids=[f"{d['kind']}/{d['metadata']['name']}" for d in K8S])
def test_every_kubernetes_manifest_matches_its_schema(doc):
    assert k8s_schema_errors(doc) == []


def test_the_kubernetes_validator_rejects_broken_manifests():
    api = copy.deepcopy(by_kind(K8S, "Deployment")["lucid-api"])
    api["spec"]["replicas"] = "two"
    assert k8s_schema_errors(api)
    typo = copy.deepcopy(by_kind(K8S, "Deployment")["lucid-api"])
    typo["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert k8s_schema_errors(typo)  # strict: an unknown field is an error
    assert k8s_schema_errors({"apiVersion": "apps/v1", "kind": "Deploymint",
                              "metadata": {"name": "x"}})
    assert k8s_schema_errors(yaml.safe_load(BROKEN_DEPLOYMENT))


def test_kustomization_lists_every_manifest_file():
    listed = kustomize_resources()
    on_disk = {p.name for p in K8S_DIR.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(listed) == sorted(on_disk)
    assert {d["kind"] for d in K8S} >= {"Namespace", "ConfigMap", "Secret",
                                        "PersistentVolumeClaim", "Deployment", "Service"}


def test_the_compose_file_matches_the_compose_specification():
    assert compose_schema_errors(COMPOSE_RAW) == []
    assert compose_schema_errors(COMPOSE) == []


def test_the_compose_validator_rejects_broken_files():
    broken = copy.deepcopy(COMPOSE_RAW)
    broken["services"]["api"]["replica"] = 2
    assert compose_schema_errors(broken)
    broken = copy.deepcopy(COMPOSE_RAW)
    broken["services"]["worker"]["depends_on"]["redis"]["condition"] = "service_ready"
    assert compose_schema_errors(broken)
    errors = compose_schema_errors(yaml.safe_load(BROKEN_COMPOSE))
    assert {"", "services/api/depends_on"} <= {e.split(":")[0] for e in errors}


def test_the_compose_build_uses_the_dockerfile_in_deploy():
    for name, service in COMPOSE["services"].items():
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert (context / service["build"]["dockerfile"]).is_file(), name
            assert (context / "pyproject.toml").is_file(), name


# -- what the schemas cannot see -----------------------------------------------------------------

def test_every_lucid_variable_in_the_manifests_is_a_setting():
    for path in [DEPLOY / "compose.yaml", *K8S_DIR.glob("*.yaml")]:
        assert unknown_lucid_names(path.read_text()) == set(), path.name
    assert unknown_lucid_names("LUCID_MODEL: x\nLUCID_MODLE_NAME: y") == {"LUCID_MODLE_NAME"}


def test_settings_accept_the_manifests_values():
    for name, service in COMPOSE["services"].items():
        if argv_of(service)[:1] == ["lucid"] or "celery" in argv_of(service)[:1]:
            settings = settings_from(environment(service))
            assert settings.database_url and settings.broker_url and settings.engine_url, name
    for deployment, container in k8s_containers(K8S):
        if k8s_argv(K8S, container)[0] in {"lucid", "celery"}:
            settings = settings_from(k8s_env(K8S, container))
            assert settings.database_url and settings.broker_url, deployment["metadata"]["name"]
    with pytest.raises(ValidationError):
        settings_from({**environment(COMPOSE["services"]["api"]), "LUCID_LEARN_SCHEDULE": "3am"})


def test_compose_dependencies_exist_and_can_become_healthy():
    assert compose_dependency_problems(COMPOSE) == []
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["api"]["depends_on"]["postgress"] = {"condition": "service_healthy"}
    del broken["services"]["redis"]["healthcheck"]
    problems = compose_dependency_problems(broken)
    assert "api depends on postgress, which is not a service" in problems
    assert {p.split()[0] for p in problems if "redis" in p} == {"api", "worker", "beat"}


def test_exactly_one_beat_runs():
    assert beat_count(compose_workloads(COMPOSE)) == 1
    assert beat_count(k8s_workloads(K8S)) == 1
    beats = [d for d, c in k8s_containers(K8S) if runs_beat(k8s_argv(K8S, c))]
    assert [d["spec"]["strategy"]["type"] for d in beats] == ["Recreate"]
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["worker"]["command"] = ["lucid", "worker"]  # embeds a second beat
    assert beat_count(compose_workloads(broken)) == 2
    broken = copy.deepcopy(K8S)
    by_kind(broken, "Deployment")["lucid-beat"]["spec"]["replicas"] = 2
    assert beat_count(k8s_workloads(broken)) == 2


def test_workers_and_the_engine_see_adapters_at_the_same_path():
    assert compose_adapter_problems(COMPOSE) == []
    assert k8s_adapter_problems(K8S) == []
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["vllm"]["volumes"] = ["adapters:/adapters:ro", "hf-cache:/root/.cache/hf"]
    assert compose_adapter_problems(broken)
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["worker"]["environment"]["LUCID_VAR_DIR"] = "/data"
    assert compose_adapter_problems(broken)
    broken = copy.deepcopy(K8S)
    by_kind(broken, "ConfigMap")["lucid-settings"]["data"]["LUCID_VAR_DIR"] = "/srv/lucid"
    assert k8s_adapter_problems(broken)


def test_the_engine_serves_what_lucid_asks_for():
    assert compose_engine_problems(COMPOSE) == []
    assert k8s_engine_problems(K8S) == []
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["api"]["environment"]["LUCID_MODEL_NAME"] = "lucid-base"
    del broken["services"]["vllm"]["environment"]["VLLM_ALLOW_RUNTIME_LORA_UPDATING"]
    assert compose_engine_problems(broken) == [
        "the engine lacks VLLM_ALLOW_RUNTIME_LORA_UPDATING=True",
        "api: base model 'lucid-base', engine serves 'SmolLM2-135M-Instruct'"]
    broken = copy.deepcopy(K8S)
    by_kind(broken, "ConfigMap")["lucid-settings"]["data"]["LUCID_MAX_LORA_RANK"] = "8"
    by_kind(broken, "Service")["vllm"]["metadata"]["name"] = "engine"
    problems = k8s_engine_problems(broken)
    assert "--max-lora-rank 8 is below the trained rank 16" in problems
    assert {p.split(":")[0] for p in problems if "http://engine:8000" in p} == {
        "lucid-api", "lucid-worker"}


def test_health_checks_and_probes():
    assert compose_health_problems(COMPOSE) == []
    assert k8s_probe_problems(K8S) == []
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["redis"]["healthcheck"]["test"] = ["CMD", "true"]
    assert compose_health_problems(broken) == [
        "redis: its healthcheck does not run 'redis-cli ping'"]
    broken = copy.deepcopy(K8S)
    api = by_kind(broken, "Deployment")["lucid-api"]["spec"]["template"]["spec"]["containers"][0]
    api["livenessProbe"]["httpGet"]["path"] = "/"
    assert k8s_probe_problems(broken) == ["lucid-api: livenessProbe is not /health"]


def test_services_reach_their_pods():
    assert k8s_service_problems(K8S) == []
    broken = copy.deepcopy(K8S)
    by_kind(broken, "Service")["lucid-api"]["spec"]["ports"][0]["targetPort"] = "web"
    assert k8s_service_problems(broken)


def test_the_engine_and_workers_get_a_gpu():
    assert gpu_problems(COMPOSE, K8S) == []
    compose, k8s = copy.deepcopy(COMPOSE), copy.deepcopy(K8S)
    del compose["services"]["worker"]["deploy"]["resources"]
    engine = by_kind(k8s, "Deployment")["vllm"]["spec"]["template"]["spec"]["containers"][0]
    del engine["resources"]["requests"]
    assert gpu_problems(compose, k8s) == [
        "compose worker: no GPU reserved", "vllm: no nvidia.com/gpu limit and equal request"]


def test_the_secret_holds_only_marked_placeholders():
    for secret in by_kind(K8S, "Secret").values():
        assert all("replace-me" in value for value in secret["stringData"].values())
