"""What every service's deployment must satisfy. `violations` returns one line per broken rule, naming
the object and the rule, so a failing check says what to fix."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import fields
from typing import Any

from services.chassis.config import PREFIX, Settings

Object = dict[str, Any]

SETTINGS_CONFIGMAP = "fulcrum-settings"
NATS_PORT = 4222
POSTGRES_PORT = 5432
# Settings read only per service (FULCRUM_<SERVICE>_...) and only suite-wide (FULCRUM_...).
PER_SERVICE_ONLY = {"grpc_port", "database_url"}
SUITE_WIDE_ONLY = {"var_dir"}
# A URL with a password in it: scheme://user:password@host.
CREDENTIALS_IN_URL = re.compile(r"://[^/\s:@]+:[^/\s@]+@")


def known_settings(service: str) -> set[str]:
    """Every environment variable services/chassis/config.py reads for `service`."""
    names = {field.name for field in fields(Settings)} - {"service"}
    suite_wide = {PREFIX + name.upper() for name in names - PER_SERVICE_ONLY}
    own = {f"{PREFIX}{service.upper()}_{name.upper()}" for name in names - SUITE_WIDE_ONLY}
    return suite_wide | own


def ref(item: Object) -> str:
    return f"{item['kind']}/{item['metadata']['name']}"


def of_kind(objects: list[Object], kind: str) -> list[Object]:
    return [item for item in objects if item["kind"] == kind]


def named(objects: list[Object], kind: str, name: str) -> Object | None:
    return next((item for item in of_kind(objects, kind) if item["metadata"]["name"] == name), None)


def service_deployments(objects: list[Object]) -> list[Object]:
    """The Deployments of Fulcrum services (not NATS or PostgreSQL)."""
    return [
        item
        for item in of_kind(objects, "Deployment")
        if item["spec"]["template"]["metadata"].get("labels", {}).get("app.kubernetes.io/part-of")
        == "fulcrum"
    ]


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    if not selector:
        return False
    match_labels = selector.get("matchLabels", {})
    return bool(match_labels) and all(labels.get(key) == value for key, value in match_labels.items())


def violations(objects: list[Object]) -> list[str]:
    found: list[str] = []
    settings = named(objects, "ConfigMap", SETTINGS_CONFIGMAP)
    if settings is None:
        found.append(f"ConfigMap/{SETTINGS_CONFIGMAP}: missing (the services' suite-wide settings)")
    found += _namespace_rules(objects)
    found += _no_inline_secrets(objects)
    for deployment in service_deployments(objects):
        found += [f"{ref(deployment)}: {rule}" for rule in _deployment_rules(deployment, objects, settings)]
    return found


def _namespace_rules(objects: list[Object]) -> Iterator[str]:
    policies = of_kind(objects, "NetworkPolicy")
    if not any(
        policy["spec"].get("podSelector") == {}
        and set(policy["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not policy["spec"].get("ingress")
        and not policy["spec"].get("egress")
        for policy in policies
    ):
        yield "NetworkPolicy: no default-deny policy (empty podSelector, Ingress and Egress, no rules)"
    if not any(
        policy["spec"].get("podSelector") == {} and _allows_egress_port(policy, 53, "UDP")
        for policy in policies
    ):
        yield "NetworkPolicy: no policy lets every pod reach DNS (UDP 53)"


def _no_inline_secrets(objects: list[Object]) -> Iterator[str]:
    for item in of_kind(objects, "Secret"):
        yield f"{ref(item)}: Secrets are created in the cluster, never committed with the manifests"
    for item in of_kind(objects, "ConfigMap"):
        for key, value in (item.get("data") or {}).items():
            if CREDENTIALS_IN_URL.search(str(value)):
                yield f"{ref(item)}: {key} holds credentials; put it in a Secret and reference it"
    for item in objects:
        for container in _containers(item):
            for variable in container.get("env", []):
                name, value = variable["name"], variable.get("value")
                sensitive = any(word in name for word in ("DATABASE_URL", "PASSWORD", "SECRET", "PRIVATE"))
                if value is not None and (sensitive or CREDENTIALS_IN_URL.search(str(value))):
                    yield f"{ref(item)}: env {name} has an inline value; take it from a Secret (secretKeyRef)"


def _containers(item: Object) -> list[Object]:
    spec = item.get("spec", {})
    pod = spec.get("jobTemplate", {}).get("spec", spec).get("template", {}).get("spec", {})
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


def _deployment_rules(deployment: Object, objects: list[Object], settings: Object | None) -> Iterator[str]:
    name = deployment["metadata"]["name"]
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    containers = pod["spec"]["containers"]
    server = containers[0]
    grpc_port = next(
        (port["containerPort"] for port in server.get("ports", []) if port.get("name") == "grpc"), None
    )
    if grpc_port is None:
        yield "has no container port named grpc"
    if server.get("command") != ["python", "-m", f"services.{name}"]:
        yield f"command is not python -m services.{name}"
    for container in containers:
        yield from _probe_rules(container, grpc_port)
        yield from _container_rules(container)
    yield from _pod_rules(pod["spec"], name)
    yield from _settings_rules(name, server, grpc_port, settings)
    yield from _companion_rules(name, labels, grpc_port, objects)
    yield from _migration_rules(name, server["image"], objects)


def _probe_rules(container: Object, grpc_port: int | None) -> Iterator[str]:
    for probe in ("livenessProbe", "readinessProbe"):
        grpc = container.get(probe, {}).get("grpc")
        if grpc is None:
            yield f"container {container['name']}: {probe} is not a native gRPC probe (grpc.health.v1)"
        elif grpc.get("port") != grpc_port:
            yield f"container {container['name']}: {probe} checks port {grpc.get('port')}, not the gRPC port"


def _container_rules(container: Object) -> Iterator[str]:
    label = f"container {container['name']}"
    image = container.get("image", "")
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    if "@sha256:" not in image and tag in {"", "latest"}:
        yield f"{label}: image {image!r} has no pinned tag (no tag or latest)"
    resources = container.get("resources", {})
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in resources.get(kind, {}):
                yield f"{label}: no {resource} {kind[:-1] if kind == 'limits' else 'request'}"
    security = container.get("securityContext", {})
    if security.get("allowPrivilegeEscalation") is not False:
        yield f"{label}: securityContext.allowPrivilegeEscalation is not false"
    if security.get("readOnlyRootFilesystem") is not True:
        yield f"{label}: securityContext.readOnlyRootFilesystem is not true"
    if security.get("privileged"):
        yield f"{label}: runs privileged"
    if "ALL" not in security.get("capabilities", {}).get("drop", []):
        yield f"{label}: securityContext.capabilities does not drop ALL"
    if not any(mount.get("mountPath") == "/tmp" for mount in container.get("volumeMounts", [])):
        yield f"{label}: no writable /tmp (an emptyDir) beside the read-only root filesystem"


def _pod_rules(pod: Object, name: str) -> Iterator[str]:
    security = pod.get("securityContext", {})
    if security.get("runAsNonRoot") is not True:
        yield "pod securityContext.runAsNonRoot is not true"
    if security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        yield "pod securityContext.seccompProfile is not RuntimeDefault"
    if pod.get("automountServiceAccountToken") is not False:
        yield "pod mounts a service account token it does not need"
    if pod.get("serviceAccountName") != name:
        yield f"serviceAccountName is not its own ServiceAccount {name!r}"
    tmp_volumes = {volume["name"] for volume in pod.get("volumes", []) if "emptyDir" in volume}
    for container in pod["containers"]:
        mounts = [mount for mount in container.get("volumeMounts", []) if mount.get("mountPath") == "/tmp"]
        if mounts and mounts[0]["name"] not in tmp_volumes:
            yield f"container {container['name']}: /tmp is not an emptyDir"


def _settings_rules(
    name: str, server: Object, grpc_port: int | None, settings: Object | None
) -> Iterator[str]:
    data = (settings or {}).get("data", {})
    environment = {**data}
    for variable in server.get("env", []):
        if "value" in variable:
            environment[variable["name"]] = variable["value"]
        elif "secretKeyRef" in variable.get("valueFrom", {}):
            environment[variable["name"]] = "postgresql+asyncpg://from-a-secret/db"
    known = known_settings(name)
    for variable in sorted(set(environment) - known):
        if variable.startswith(PREFIX):
            yield f"env {variable} is not a setting services/chassis/config.py reads for {name}"
    url = next(
        (v for v in server.get("env", []) if v["name"] == f"{PREFIX}{name.upper()}_DATABASE_URL"), None
    )
    if url is None or "secretKeyRef" not in url.get("valueFrom", {}):
        yield f"env {PREFIX}{name.upper()}_DATABASE_URL does not come from a Secret"
    parsed = Settings.from_env(name, environment)
    if parsed.grpc_host != "0.0.0.0":
        yield f"listens on {parsed.grpc_host}, not 0.0.0.0 ({PREFIX}GRPC_HOST)"
    if parsed.grpc_port != grpc_port:
        yield f"the service listens on {parsed.grpc_port} but the container port is {grpc_port}"
    if parsed.migrate_on_start:
        yield f"migrates on start; the migration Job does that ({PREFIX}MIGRATE_ON_START=false)"
    if not str(parsed.token_public_key_file).startswith("/etc/fulcrum/"):
        yield f"token public key {parsed.token_public_key_file} is not the mounted Secret"


def _companion_rules(
    name: str, labels: Mapping[str, str], grpc_port: int | None, objects: list[Object]
) -> Iterator[str]:
    service = named(objects, "Service", name)
    if service is None:
        yield f"no Service {name!r}"
    else:
        if service["spec"].get("clusterIP") != "None":
            yield f"Service/{name} is not headless (clusterIP: None): round_robin needs every pod address"
        if not selects({"matchLabels": service["spec"].get("selector", {})}, labels):
            yield f"Service/{name} does not select its pods"
    account = named(objects, "ServiceAccount", name)
    if account is None:
        yield f"no ServiceAccount {name!r}"
    elif account.get("automountServiceAccountToken") is not False:
        yield f"ServiceAccount/{name} mounts API tokens by default"
    if not any(
        selects(pdb["spec"].get("selector"), labels) for pdb in of_kind(objects, "PodDisruptionBudget")
    ):
        yield "no PodDisruptionBudget selects its pods"
    autoscalers = [
        hpa
        for hpa in of_kind(objects, "HorizontalPodAutoscaler")
        if hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    ]
    if not autoscalers:
        yield "no HorizontalPodAutoscaler scales it"
    elif not 1 <= autoscalers[0]["spec"].get("minReplicas", 1) <= autoscalers[0]["spec"]["maxReplicas"]:
        yield f"HorizontalPodAutoscaler/{name} has minReplicas outside 1..maxReplicas"
    yield from _network_rules(labels, grpc_port, objects)


def _network_rules(labels: Mapping[str, str], grpc_port: int | None, objects: list[Object]) -> Iterator[str]:
    policies = [p for p in of_kind(objects, "NetworkPolicy") if selects(p["spec"].get("podSelector"), labels)]
    if not policies:
        yield "no NetworkPolicy of its own"
        return
    ingress = [rule for policy in policies for rule in policy["spec"].get("ingress", [])]
    for rule in ingress:
        sources = rule.get("from", [])
        if not sources or any(
            set(source) != {"podSelector"}
            or source["podSelector"].get("matchLabels") != {"app.kubernetes.io/name": "gateway"}
            for source in sources
        ):
            yield "NetworkPolicy lets in more than the gateway's pods"
        if [port.get("port") for port in rule.get("ports", [])] != [grpc_port]:
            yield "NetworkPolicy ingress is not limited to the gRPC port"
    if not ingress:
        yield "NetworkPolicy lets the gateway in nowhere"
    if not any(_allows_egress_port(policy, NATS_PORT) for policy in policies):
        yield f"NetworkPolicy does not let it reach NATS (TCP {NATS_PORT})"
    if not any(_allows_egress_port(policy, POSTGRES_PORT) for policy in policies):
        yield f"NetworkPolicy does not let it reach its database (TCP {POSTGRES_PORT})"
    for policy in policies:
        for rule in policy["spec"].get("egress", []):
            if not rule.get("to") or not rule.get("ports"):
                yield f"{ref(policy)} opens egress to everywhere or on every port"


def _allows_egress_port(policy: Object, port: int, protocol: str = "TCP") -> bool:
    return any(
        entry.get("port") == port and entry.get("protocol", "TCP") == protocol
        for rule in policy["spec"].get("egress", [])
        for entry in rule.get("ports", [])
    )


def _migration_rules(name: str, image: str, objects: list[Object]) -> Iterator[str]:
    commands = (
        ["python", "-m", "services.chassis.migrations", name],
        ["fulcrum", "migrate", name],
    )
    jobs = [
        job
        for job in of_kind(objects, "Job")
        if any(container.get("command") in commands for container in _containers(job))
    ]
    if not jobs:
        yield f"no migration Job runs `python -m services.chassis.migrations {name}`"
        return
    job = jobs[0]
    container = next(c for c in _containers(job) if c.get("command") in commands)
    if container.get("image") != image:
        yield f"{ref(job)} runs image {container.get('image')}, not the Deployment's {image}"
    yield from (f"{ref(job)}: {rule}" for rule in _container_rules(container))
    if job["spec"]["template"]["spec"].get("securityContext", {}).get("runAsNonRoot") is not True:
        yield f"{ref(job)}: pod securityContext.runAsNonRoot is not true"
    url = next(
        (v for v in container.get("env", []) if v["name"] == f"{PREFIX}{name.upper()}_DATABASE_URL"), None
    )
    if url is None or "secretKeyRef" not in url.get("valueFrom", {}):
        yield f"{ref(job)}: env {PREFIX}{name.upper()}_DATABASE_URL does not come from a Secret"
