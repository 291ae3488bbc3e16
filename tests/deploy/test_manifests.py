"""Every overlay, as rendered, keeps the deployment rules for every service."""

from __future__ import annotations

from typing import Any

from deploy.k8s import generate
from services.chassis.devstack import SERVICES
from tests.deploy.conftest import render
from tests.deploy.rules import named, of_kind, service_deployments, violations

Objects = list[dict[str, Any]]


def test_every_service_deployment_keeps_the_rules(objects: Objects) -> None:
    broken = violations(objects)
    assert not broken, "\n".join(broken)


def test_every_service_is_deployed(objects: Objects) -> None:
    assert sorted(d["metadata"]["name"] for d in service_deployments(objects)) == sorted(SERVICES)


def test_a_manifest_that_breaks_a_rule_is_named_with_the_rule(objects: Objects) -> None:
    org = named(objects, "Deployment", "org")
    assert org is not None
    server = org["spec"]["template"]["spec"]["containers"][0]
    del server["livenessProbe"]
    server["image"] = "registry.example.com/fulcrum:latest"
    server["securityContext"]["readOnlyRootFilesystem"] = False
    del server["resources"]["limits"]["memory"]
    server["env"].append({"name": "FULCRUM_ORG_DATABASE_URL", "value": "postgresql+asyncpg://org:pw@db/org"})
    objects.remove(named(objects, "HorizontalPodAutoscaler", "org"))
    objects.remove(named(objects, "PodDisruptionBudget", "org"))

    broken = violations(objects)

    assert set(broken) >= {
        "Deployment/org: container server: livenessProbe is not a native gRPC probe (grpc.health.v1)",
        "Deployment/org: container server: image 'registry.example.com/fulcrum:latest' has no pinned tag"
        " (no tag or latest)",
        "Deployment/org: container server: securityContext.readOnlyRootFilesystem is not true",
        "Deployment/org: container server: no memory limit",
        "Deployment/org: env FULCRUM_ORG_DATABASE_URL has an inline value;"
        " take it from a Secret (secretKeyRef)",
        "Deployment/org: no HorizontalPodAutoscaler scales it",
        "Deployment/org: no PodDisruptionBudget selects its pods",
    }
    assert all(line.startswith("Deployment/org: ") for line in broken)


def test_a_setting_the_services_do_not_read_is_refused(objects: Objects) -> None:
    goals = named(objects, "Deployment", "goals")
    assert goals is not None
    server = goals["spec"]["template"]["spec"]["containers"][0]
    server["env"].append({"name": "FULCRUM_GOALS_PORT", "value": "1"})

    assert violations(objects) == [
        "Deployment/goals: env FULCRUM_GOALS_PORT is not a setting services/chassis/config.py reads for goals"
    ]


def test_a_service_open_to_every_pod_is_refused(objects: Objects) -> None:
    policy = named(objects, "NetworkPolicy", "org")
    assert policy is not None
    policy["spec"]["ingress"][0]["from"] = [{"podSelector": {}}]

    assert "Deployment/org: NetworkPolicy lets in more than the gateway's pods" in violations(objects)


def test_dev_runs_one_replica_of_each_service_and_a_database_for_each() -> None:
    objects = render("dev")
    for autoscaler in of_kind(objects, "HorizontalPodAutoscaler"):
        assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == (1, 1)
    nats = named(objects, "StatefulSet", "nats")
    assert nats is not None
    assert nats["spec"]["replicas"] == 1
    init = next(c for c in of_kind(objects, "ConfigMap") if c["metadata"]["name"].startswith("postgres-init"))
    script = "".join(init["data"].values())
    for service in SERVICES:
        assert f"CREATE DATABASE {service};" in script


def test_prod_runs_replicas_a_nats_cluster_that_fsyncs_and_a_database_cluster_per_service() -> None:
    objects = render("prod")
    for autoscaler in of_kind(objects, "HorizontalPodAutoscaler"):
        assert autoscaler["spec"]["minReplicas"] >= 3, autoscaler["metadata"]["name"]
    nats = named(objects, "StatefulSet", "nats")
    assert nats is not None
    assert nats["spec"]["replicas"] == 3
    config = next(c for c in of_kind(objects, "ConfigMap") if c["metadata"]["name"].startswith("nats-config"))
    nats_conf = config["data"]["nats.conf"]
    assert "sync_interval: always" in nats_conf
    assert all(f"nats://nats-{n}.nats:6222" in nats_conf for n in range(3))
    databases = {
        cluster["spec"]["inheritedMetadata"]["labels"]["fulcrum.io/database"]: cluster
        for cluster in of_kind(objects, "Cluster")
    }
    assert sorted(databases) == sorted(SERVICES)
    for service, cluster in databases.items():
        assert cluster["spec"]["instances"] >= 3, service
        assert cluster["spec"]["bootstrap"]["initdb"]["database"] == service


def test_the_generated_service_folders_match_the_template() -> None:
    expected = generate.render()
    on_disk = {
        path.relative_to(generate.SERVICES_DIR): path.read_text()
        for path in generate.SERVICES_DIR.rglob("*")
        if path.is_file()
    }
    out_of_date = sorted(
        str(path) for path in set(expected) | set(on_disk) if expected.get(path) != on_disk.get(path)
    )

    assert not out_of_date, (
        f"deploy/k8s/base/services differs from its template in {out_of_date}: make deploy-generate"
    )
