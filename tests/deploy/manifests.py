"""deploy/ loaded and checked: the Kubernetes JSON schemas that kubernetes-validate ships (strict,
so unknown fields fail), the Compose specification schema that check-jsonschema vendors, and the
consistency no schema sees (LUCID_* settings, depends_on, the beat, the adapter path, the engine's
model name and LoRA flags). Every check returns a list of problems; tests/deploy/test_manifests.py
runs them on deploy/ and on deliberately broken copies.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any
from unittest import mock

import jsonschema
import kubernetes_validate
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema
from pydantic import AliasChoices

from distill.config import OPSDConfig
from serve.config.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S_DIR = DEPLOY / "k8s"
K8S_VERSION = "1.33"  # one of the versions whose schemas kubernetes-validate bundles
COMPOSE_SCHEMA = get_builtin_schema("vendor.compose-spec")
LUCID_NAME = re.compile(r"\bLUCID_[A-Z0-9_]+")
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")  # ${VAR}, ${VAR:-default}, ${VAR-d}
REQUIRED = re.compile(r"\$\{(\w+):?\?[^}]*\}")  # ${VAR:?message}: Compose refuses to start unset
# What an operator exports for the required ones, to read the files as Compose then would.
REQUIRED_EXAMPLES = {"LUCID_ADMIN_KEY": "lucid-0123456789ab-an-example-operator-key-000000"}
K8S_REFERENCE = re.compile(r"\$\((\w+)\)")  # $(VAR) in a container's command and args

Doc = dict[str, Any]


# -- loading -------------------------------------------------------------------------------------

def kustomize_resources() -> list[str]:
    return yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())["resources"]


def load_k8s() -> list[Doc]:
    return [doc for name in kustomize_resources()
            for doc in yaml.safe_load_all((K8S_DIR / name).read_text()) if doc]


def interpolate(value: Any) -> Any:
    """What Compose makes of ${VAR:-default} with no .env and the variables unset (the required
    ${VAR:?message} ones set as in REQUIRED_EXAMPLES)."""
    if isinstance(value, str):
        value = REQUIRED.sub(lambda m: REQUIRED_EXAMPLES[m.group(1)], value)
        return INTERPOLATION.sub(lambda m: m.group(2) or "", value)
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    return value


COMPOSE_RAW: Doc = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
COMPOSE: Doc = interpolate(COMPOSE_RAW)
K8S: list[Doc] = load_k8s()


# -- schema validators ---------------------------------------------------------------------------

def k8s_schema_errors(doc: Doc) -> list[str]:
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{'/'.join(map(str, exc.path))}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [exc.message]
    return []


def compose_schema_errors(doc: Doc) -> list[str]:
    validator = jsonschema.validators.validator_for(COMPOSE_SCHEMA)(COMPOSE_SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)]


# -- settings ------------------------------------------------------------------------------------

def settings_env_names() -> set[str]:
    """Every environment name Settings reads: LUCID_<FIELD>, or a field's validation aliases."""
    names = set()
    for field_name, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {choice for choice in alias.choices if isinstance(choice, str)}
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"LUCID_{field_name.upper()}")
    return names


def unknown_lucid_names(text: str) -> set[str]:
    return set(LUCID_NAME.findall(text)) - settings_env_names()


def settings_from(env: dict[str, str]) -> Settings:
    """Settings as a process with exactly this environment reads them."""
    with mock.patch.dict(os.environ, env, clear=True):
        return Settings()


# -- workloads: argv, environment, mounts --------------------------------------------------------

def argv_of(service: Doc) -> list[str]:
    parts: list[str] = []
    for key in ("entrypoint", "command"):
        value = service.get(key) or []
        parts += shlex.split(value) if isinstance(value, str) else [str(v) for v in value]
    return parts


def environment(service: Doc) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: str(v) for k, v in env.items() if v is not None}


def compose_mounts(service: Doc) -> dict[str, tuple[str, bool]]:
    """target -> (source, read-only) for each volume of a Compose service."""
    mounts = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            source, target, *mode = volume.split(":")
            mounts[target] = (source, "ro" in mode[0].split(",") if mode else False)
        else:
            mounts[volume["target"]] = (volume.get("source", ""), volume.get("read_only", False))
    return mounts


def flag(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv[:-1] else None


def runs_beat(argv: list[str]) -> bool:
    """`lucid worker` embeds a beat unless --no-beat; `celery beat`, `celery worker --beat/-B`."""
    if argv[:2] == ["lucid", "worker"]:
        return "--no-beat" not in argv
    if "celery" in argv[:3]:
        return "beat" in argv or ("worker" in argv and ("--beat" in argv or "-B" in argv))
    return False


def beat_count(workloads: list[tuple[list[str], int]]) -> int:
    return sum(replicas for argv, replicas in workloads if runs_beat(argv))


def engine_problems(argv: list[str], env: dict[str, str]) -> list[str]:
    """An engine Lucid can hot-swap into: LoRA on, runtime updates allowed, rank big enough."""
    problems = []
    if "--enable-lora" not in argv:
        problems.append("the engine lacks --enable-lora")
    if env.get("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "").lower() not in {"true", "1"}:
        problems.append("the engine lacks VLLM_ALLOW_RUNTIME_LORA_UPDATING=True")
    rank, trained = flag(argv, "--max-lora-rank"), OPSDConfig().lora_r
    if rank is None:  # vLLM's default may be below what workers train
        problems.append("the engine lacks --max-lora-rank")
    elif int(rank) < trained:
        problems.append(f"--max-lora-rank {rank} is below the trained rank {trained}")
    return problems


def lucid_client_problems(who: str, env: dict[str, str], engine_argv: list[str],
                          engine_url: str) -> list[str]:
    """A Lucid process must name the base model as the engine serves it, train the same weights,
    and reach the engine at its address."""
    settings = settings_from(env)
    served = flag(engine_argv, "--served-model-name")
    model = engine_argv[2] if engine_argv[:2] == ["vllm", "serve"] else flag(engine_argv, "--model")
    problems = []
    if settings.base_model_id != served:
        problems.append(f"{who}: base model {settings.base_model_id!r}, engine serves {served!r}")
    if settings.model_path != model:
        problems.append(f"{who}: LUCID_MODEL {settings.model_path!r}, engine loads {model!r}")
    if settings.engine_url != engine_url:
        problems.append(f"{who}: LUCID_ENGINE_URL {settings.engine_url!r}, engine at {engine_url}")
    return problems


# -- Compose checks ------------------------------------------------------------------------------

def compose_workloads(doc: Doc) -> list[tuple[list[str], int]]:
    return [(argv_of(s), int(s.get("deploy", {}).get("replicas", s.get("scale", 1))))
            for s in doc["services"].values()]


def compose_dependency_problems(doc: Doc) -> list[str]:
    services, problems = doc["services"], []
    for name, service in services.items():
        deps = service.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {dep: {"condition": "service_started"} for dep in deps}
        for dep, spec in deps.items():
            if dep not in services:
                problems.append(f"{name} depends on {dep}, which is not a service")
            elif spec.get("condition") == "service_healthy" and "healthcheck" not in services[dep]:
                problems.append(f"{name} waits for {dep} to be healthy, which has no healthcheck")
    return problems


def compose_engine(doc: Doc) -> tuple[str, Doc]:
    engines = [(n, s) for n, s in doc["services"].items() if "--enable-lora" in argv_of(s)]
    assert len(engines) == 1, f"expected one engine service, found {[n for n, _ in engines]}"
    return engines[0]


def compose_engine_problems(doc: Doc) -> list[str]:
    name, engine = compose_engine(doc)
    argv = argv_of(engine)
    problems = engine_problems(argv, environment(engine))
    url = f"http://{name}:{flag(argv, '--port')}"
    for who, service in doc["services"].items():
        if argv_of(service)[:1] == ["lucid"]:
            problems += lucid_client_problems(who, environment(service), argv, url)
    return problems


def compose_adapter_problems(doc: Doc) -> list[str]:
    """Workers write adapters under their adapters dir; the engine must see them at that path."""
    services, problems = doc["services"], []
    writers = [n for n, s in services.items() if argv_of(s)[:2] == ["lucid", "worker"]]
    if not writers:
        return ["no `lucid worker` service"]
    sources = set()
    path = ""
    for name in writers:
        path = str(settings_from(environment(services[name])).adapters_dir)
        mount = compose_mounts(services[name]).get(path)
        if mount is None:
            problems.append(f"{name}: nothing mounted at its adapters dir {path}")
        elif mount[1]:
            problems.append(f"{name}: {path} is mounted read-only, but workers write there")
        else:
            sources.add(mount[0])
    if len(sources) != 1 or not sources <= set(doc.get("volumes") or {}):
        return [*problems, f"workers do not share one named adapters volume: {sorted(sources)}"]
    volume = sources.pop()
    engine_name, engine = compose_engine(doc)
    targets = [t for t, (source, _) in compose_mounts(engine).items() if source == volume]
    if targets != [path]:
        problems.append(f"{engine_name} mounts {volume} at {targets}; adapters are at {path}")
    return problems


COMPOSE_HEALTH = {"postgres": "pg_isready", "redis": "redis-cli ping", "engine": "/health",
                  "api": "/health"}


def compose_health_problems(doc: Doc) -> list[str]:
    problems = []
    for name, service in doc["services"].items():
        image, argv = service.get("image", ""), argv_of(service)
        kind = ("postgres" if image.startswith("postgres:") else
                "redis" if image.startswith("redis:") else
                "engine" if "--enable-lora" in argv else
                "api" if argv[:2] == ["lucid", "serve"] else None)
        test = " ".join(map(str, (service.get("healthcheck") or {}).get("test", [])))
        if kind and COMPOSE_HEALTH[kind] not in test:
            problems.append(f"{name}: its healthcheck does not run {COMPOSE_HEALTH[kind]!r}")
    return problems


# -- Kubernetes checks ---------------------------------------------------------------------------

def by_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def k8s_env(docs: list[Doc], container: Doc) -> dict[str, str]:
    maps, secrets = by_kind(docs, "ConfigMap"), by_kind(docs, "Secret")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(maps[source["configMapRef"]["name"]]["data"])
        if "secretRef" in source:  # placeholders an operator must fill: filled as they would be
            env.update({k: REQUIRED_EXAMPLES.get(k, v) for k, v in
                        secrets[source["secretRef"]["name"]]["stringData"].items()})
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    return env


def k8s_argv(docs: list[Doc], container: Doc) -> list[str]:
    """command + args with $(VAR) expanded from the container's environment, as the kubelet does."""
    env = k8s_env(docs, container)
    return [K8S_REFERENCE.sub(lambda m: env.get(m.group(1), m.group(0)), str(arg))
            for arg in [*container.get("command", []), *container.get("args", [])]]


def k8s_containers(docs: list[Doc]) -> list[tuple[Doc, Doc]]:
    return [(d, c) for d in by_kind(docs, "Deployment").values()
            for c in d["spec"]["template"]["spec"]["containers"]]


def k8s_workloads(docs: list[Doc]) -> list[tuple[list[str], int]]:
    return [(k8s_argv(docs, c), d["spec"].get("replicas", 1)) for d, c in k8s_containers(docs)]


def k8s_service_problems(docs: list[Doc]) -> list[str]:
    """Each Service selects a Deployment's pods and targets a port its container declares."""
    problems = []
    for name, service in by_kind(docs, "Service").items():
        selector = service["spec"]["selector"].items()
        pods = [(d, c) for d, c in k8s_containers(docs)
                if selector <= d["spec"]["template"]["metadata"]["labels"].items()]
        declared = {p.get("name") for _, c in pods for p in c.get("ports", [])} | {
            p["containerPort"] for _, c in pods for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            if port.get("targetPort", port["port"]) not in declared:
                problems.append(f"Service {name}: no selected pod declares port {port}")
    return problems


def k8s_engine(docs: list[Doc]) -> tuple[Doc, Doc]:
    engines = [(d, c) for d, c in k8s_containers(docs) if "--enable-lora" in k8s_argv(docs, c)]
    assert len(engines) == 1, f"expected one engine Deployment, found {len(engines)}"
    return engines[0]


def k8s_engine_url(docs: list[Doc]) -> str | None:
    deployment, container = k8s_engine(docs)
    labels = deployment["spec"]["template"]["metadata"]["labels"].items()
    ports = {p["containerPort"]: p.get("name") for p in container.get("ports", [])}
    for name, service in by_kind(docs, "Service").items():
        if service["spec"]["selector"].items() <= labels:
            for port in service["spec"]["ports"]:
                if port.get("targetPort") in ports or port.get("targetPort") in ports.values():
                    return f"http://{name}:{port['port']}"
    return None


def k8s_engine_problems(docs: list[Doc]) -> list[str]:
    deployment, engine = k8s_engine(docs)
    argv = k8s_argv(docs, engine)
    problems = engine_problems(argv, k8s_env(docs, engine))
    if deployment["spec"].get("replicas", 1) != 1:
        problems.append("more than one engine replica: adapter loads would reach only one")
    url = k8s_engine_url(docs) or "(no Service)"
    for d, c in k8s_containers(docs):
        if k8s_argv(docs, c)[:1] == ["lucid"]:
            problems += lucid_client_problems(d["metadata"]["name"], k8s_env(docs, c), argv, url)
    return problems


def k8s_mounts(deployment: Doc, container: Doc) -> dict[str, tuple[str, bool]]:
    """mountPath -> (claim name, or '' for other volumes, read-only)."""
    volumes = {v["name"]: v.get("persistentVolumeClaim", {}).get("claimName", "")
               for v in deployment["spec"]["template"]["spec"].get("volumes", [])}
    return {m["mountPath"]: (volumes.get(m["name"], ""), m.get("readOnly", False))
            for m in container.get("volumeMounts", [])}


def k8s_adapter_problems(docs: list[Doc]) -> list[str]:
    problems, claims, path = [], set(), ""
    writers = [(d, c) for d, c in k8s_containers(docs)
               if k8s_argv(docs, c)[:2] == ["lucid", "worker"]]
    for deployment, container in writers:
        path = str(settings_from(k8s_env(docs, container)).adapters_dir)
        claim, read_only = k8s_mounts(deployment, container).get(path, ("", False))
        if not claim or read_only:
            problems.append(f"{deployment['metadata']['name']}: no writable claim at {path}")
        claims.add(claim)
    pvcs = by_kind(docs, "PersistentVolumeClaim")
    if len(claims) != 1 or not claims <= set(pvcs):
        return [*problems, f"workers do not share one adapters claim: {sorted(claims)}"]
    claim = claims.pop()
    if "ReadWriteMany" not in pvcs[claim]["spec"]["accessModes"]:
        problems.append(f"{claim} is not ReadWriteMany: workers and the engine may share no node")
    deployment, engine = k8s_engine(docs)
    targets = [t for t, (c, _) in k8s_mounts(deployment, engine).items() if c == claim]
    if targets != [path]:
        problems.append(f"the engine mounts {claim} at {targets}; adapters are at {path}")
    return problems


def k8s_probe_problems(docs: list[Doc]) -> list[str]:
    """The API and the engine are ready, and alive, by their /health."""
    problems = []
    for deployment, container in k8s_containers(docs):
        if k8s_argv(docs, container)[:2] in (["lucid", "serve"], ["vllm", "serve"]):
            for probe in ("readinessProbe", "livenessProbe"):
                path = container.get(probe, {}).get("httpGet", {}).get("path")
                if path != "/health":
                    problems.append(f"{deployment['metadata']['name']}: {probe} is not /health")
    return problems


def gpu_problems(compose: Doc, docs: list[Doc]) -> list[str]:
    """The engine and every training worker get a GPU, in both deployments."""
    problems = []
    for name, service in compose["services"].items():
        argv = argv_of(service)
        if argv[:2] == ["lucid", "worker"] or "--enable-lora" in argv:
            devices = (service.get("deploy", {}).get("resources", {}).get("reservations", {})
                       .get("devices", []))
            if not any("gpu" in d.get("capabilities", []) for d in devices):
                problems.append(f"compose {name}: no GPU reserved")
    for deployment, container in k8s_containers(docs):
        if k8s_argv(docs, container)[:2] in (["lucid", "worker"], ["vllm", "serve"]):
            resources = container.get("resources", {})
            gpus = resources.get("limits", {}).get("nvidia.com/gpu", 0)
            if int(gpus) < 1 or resources.get("requests", {}).get("nvidia.com/gpu") != gpus:
                problems.append(f"{deployment['metadata']['name']}: no nvidia.com/gpu limit and "
                                "equal request")
    return problems

