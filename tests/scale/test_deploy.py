"""Beyond one machine: deploy/compose.yaml and deploy/k8s/ checked by their own tools
(`docker compose config` or Debian's docker-compose; `kubectl kustomize`, which needs no
cluster), then what they render read as data: only nginx / the Ingress is public, every
server has health checks, secrets come from the environment or a Secret and are in no file,
the migrations run once before the servers, and every `${VAR}` Rasa's endpoints read is set.
A test skips only when its tool is not installed."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
from typing import Dict, List

import pytest
import yaml

from bot.local import ROOT

DEPLOY = ROOT / "deploy"
SECRETS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "BESPOKE_RASA_TOKEN", "BESPOKE_ACTIONS_SECRET", "BESPOKE_SECRET_KEY")
BESPOKE_SERVICES = ("rasa", "actions", "web")


def compose_command() -> List[str]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    if shutil.which("docker-compose"):
        return [shutil.which("docker-compose")]
    pytest.skip("neither `docker compose` nor docker-compose is installed")


def compose_config(env: Dict[str, str]) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in SECRETS}
    return subprocess.run([*compose_command(), "-p", "bespoke", "-f", str(DEPLOY / "compose.yaml"), "config"],
                          env={**clean, **env}, capture_output=True, text=True, timeout=60, cwd=ROOT)


@pytest.fixture(scope="module")
def compose() -> dict:
    result = compose_config({name: f"value-of-{name.lower()}" for name in SECRETS})
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_needs_every_secret_from_the_environment():
    result = compose_config({name: "x" for name in SECRETS if name != "BESPOKE_ACTIONS_SECRET"})
    assert result.returncode != 0 and "set BESPOKE_ACTIONS_SECRET" in result.stderr
    text = (DEPLOY / "compose.yaml").read_text()
    for name in SECRETS:
        assert "${%s:?set %s}" % (name, name) in text


def test_compose_publishes_only_nginx_and_checks_every_servers_health(compose):
    services = compose["services"]
    assert {name for name, service in services.items() if service.get("ports")} == {"nginx"}
    for name in (*BESPOKE_SERVICES, "nginx", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    for name in BESPOKE_SERVICES:
        service = services[name]
        assert service["deploy"]["replicas"] >= 2 and service["restart"] == "unless-stopped"
        # The servers start after the migrations have run once, to completion.
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["environment"]["BESPOKE_ACTIONS_SECRET"] == "value-of-bespoke_actions_secret"
    assert services["migrate"]["command"] == ["bespoke", "migrate"] and services["migrate"]["restart"] == "no"
    # The web servers and Rasa reach each other through nginx, as in the one-machine profile.
    assert services["web"]["environment"]["BESPOKE_RASA_URL"] == "http://nginx:5005"
    assert services["rasa"]["environment"]["BESPOKE_ACTIONS_URL"] == "http://nginx:5055/webhook"


def endpoint_variables() -> set:
    def values(node) -> List[str]:
        if isinstance(node, dict):
            return [text for value in node.values() for text in values(value)]
        return [str(node)]

    return {name for text in values(yaml.safe_load((DEPLOY / "endpoints.yml").read_text()))
            for name in re.findall(r"\$\{([A-Z_]+)\}", text)}


def test_every_variable_of_rasas_endpoints_is_set_in_compose(compose):
    rasa = compose["services"]["rasa"]
    assert "deploy/endpoints.yml" in rasa["command"]
    assert endpoint_variables() <= set(rasa["environment"]), endpoint_variables() - set(rasa["environment"])


def test_the_containers_commands_name_what_exists(compose):
    endpoints = yaml.safe_load((DEPLOY / "endpoints.yml").read_text())
    module, _, name = endpoints["lock_store"]["type"].rpartition(".")
    assert hasattr(importlib.import_module(module), name)
    for service in compose["services"].values():
        command = service.get("command") or []
        if command[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(command[2]) is not None, command
    assert (ROOT / "credentials.yml").exists()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^bespoke = "bot\.cli:', pyproject, re.M)  # the image's `bespoke migrate`/`train`
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "bespoke train" in dockerfile and "USER bespoke" in dockerfile


# --- Kubernetes ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def manifests() -> List[dict]:
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl is not installed")
    result = subprocess.run([kubectl, "kustomize", str(DEPLOY / "k8s")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def of_kind(manifests: List[dict], kind: str) -> Dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in manifests if doc["kind"] == kind}


def test_kubernetes_has_the_whole_topology(manifests):
    assert set(of_kind(manifests, "Deployment")) == {"bespoke-rasa", "bespoke-actions", "bespoke-web", "bespoke-redis"}
    assert set(of_kind(manifests, "StatefulSet")) == {"bespoke-postgres"}
    assert set(of_kind(manifests, "Job")) == {"bespoke-migrate"}
    assert of_kind(manifests, "Job")["bespoke-migrate"]["spec"]["template"]["spec"]["containers"][0]["command"] \
        == ["bespoke", "migrate"]
    assert not of_kind(manifests, "Secret")  # made with kubectl create secret (README), never a file


def test_kubernetes_exposes_only_the_web_servers(manifests):
    for service in of_kind(manifests, "Service").values():
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]["name"]
    [ingress] = of_kind(manifests, "Ingress").values()
    backends = {path["backend"]["service"]["name"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]}
    assert backends == {"bespoke-web"}


def test_kubernetes_servers_roll_one_at_a_time_with_health_checks(manifests):
    for name in (f"bespoke-{kind}" for kind in BESPOKE_SERVICES):
        deployment = of_kind(manifests, "Deployment")[name]
        assert deployment["spec"]["replicas"] >= 2
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert probe in container, (name, probe)
        assert container["securityContext"]["runAsNonRoot"] is True
        # Every secret from the Secret by reference; no value of one in a manifest.
        refs = {item["name"]: item["valueFrom"]["secretKeyRef"]["key"] for item in container["env"]
                if "valueFrom" in item}
        assert set(refs) == set(SECRETS) and all(refs[key] == key for key in refs)


def test_kubernetes_sets_every_variable_of_rasas_endpoints(manifests):
    [config] = of_kind(manifests, "ConfigMap").values()
    rasa = of_kind(manifests, "Deployment")["bespoke-rasa"]["spec"]["template"]["spec"]["containers"][0]
    given = set(config["data"]) | {item["name"] for item in rasa["env"]}
    assert endpoint_variables() <= given, endpoint_variables() - given
    # The README's `kubectl create secret` makes every key the manifests read.
    readme = (DEPLOY / "k8s" / "README.md").read_text()
    assert all(f"--from-literal={name}=" in readme for name in SECRETS)


def test_the_compose_nginx_config_passes_nginx_t(tmp_path):
    """The same check as the profile's generated config, with the compose services' names
    resolved to this machine (nginx resolves upstream names as it starts)."""
    from tests.scale.test_profile import nginx_or_skip

    nginx = nginx_or_skip()
    text = (DEPLOY / "nginx" / "compose.conf").read_text()
    for service in ("web:8000", "rasa:5005", "actions:5055"):
        text = text.replace(f"server {service}", f"server 127.0.0.1:{service.split(':')[1]}")
    for port in ("8000", "5005", "5055"):
        text = text.replace(f"listen {port};", f"listen 127.0.0.1:{port};")
    text = text.replace("http {", f"pid {tmp_path}/nginx.pid;\nhttp {{\n    client_body_temp_path {tmp_path}/body;\n"
                                  f"    proxy_temp_path {tmp_path}/proxy;", 1)
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    result = subprocess.run([nginx, "-e", "stderr", "-p", str(tmp_path), "-c", str(conf), "-t", "-q"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
