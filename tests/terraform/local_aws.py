"""A local AWS account for the Terraform apply tests: moto's server on loopback and a scratch copy of terraform/.

The endpoints and fake credentials live only in override files written into the scratch copy, never in the
real configuration. Stacks are planned and applied through scripts/ops/deploy_stack.sh (a saved plan, then
exactly that plan), as the deploy workflows do; every command's output goes to a log in the scratch folder,
and its elapsed time to `LocalAws.timings` (printed at the end of the run).

An administrator applies the bootstrap stack (moto's default keys). Once `act_as_deploy_role` is called, every
later command runs as a role of the environment, as the deploy workflows do: plans (labels plan-*, replan-*)
as the read-only plan role, everything else, Terraform and scripts alike, as the deploy role. Each command
label gets its own role session from moto's STS (AssumeRoleWithWebIdentity, as GitHub's jobs do), so the
request recording (moto_server.py, RECORD_REQUESTS) tells by a request's access key which command made it
(`LocalAws.callers`).
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
GITHUB_REPOSITORY = "example-org/bbws-product-api"
# Every service the three stacks call; each is pointed at moto in the provider overrides.
SERVICES = (
    "accessanalyzer",
    "apigateway",
    "cloudwatch",
    "codedeploy",
    "dynamodb",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "secretsmanager",
    "sns",
    "sts",
    "synthetics",
)
# Each stack's folder in a copy of the configuration.
STACK_FOLDERS = {
    "bootstrap": "terraform/bootstrap",
    "infrastructure": "terraform/infrastructure",
    "lambda": "terraform",
}
TERRAFORM = ("bash", str(REPO_ROOT / "scripts" / "ci" / "tf_run.sh"))
DEPLOY_STACK = ("bash", str(REPO_ROOT / "scripts" / "ops" / "deploy_stack.sh"))


class CommandFailed(AssertionError):
    """A Terraform command exited with an unexpected status; the message holds its log."""


class MotoServer:
    """tests/terraform/moto_server.py (moto with its gaps filled) as a child process on a free loopback port."""

    def __init__(self, log: Path, recording: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.recording = recording
        self._log = log.open("w")
        # Managed policies loaded: the infrastructure stack attaches AmazonAPIGatewayPushToCloudWatchLogs.
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("moto_server.py")), "-H", "127.0.0.1"]
            + ["-p", str(self.port)],
            env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true", "RECORD_REQUESTS": str(recording)},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                # The loopback URL this class started moto on, never user input.
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2)  # nosec B310
                return
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto did not answer on {self.endpoint} within {seconds} s") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


class RecordingProxy:
    """An HTTP proxy on a free loopback port in front of `target`, keeping each request's method, path and
    headers (`requests`): what scripts/ops/validate_deployment.py signs, as API Gateway would receive it."""

    def __init__(self, target: str) -> None:
        self.requests: list[dict[str, Any]] = []
        kept, parsed = self.requests, urllib.parse.urlsplit(target)

        class Forward(http.server.BaseHTTPRequestHandler):
            def forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                kept.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers.items())}
                )
                connection = http.client.HTTPConnection(parsed.netloc, timeout=30)
                connection.request(self.command, self.path, body or None, dict(self.headers.items()))
                answer = connection.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                connection.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = forward

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True)
class Stack:
    """One stack of the scratch copy: its folder, its backend file ("none": local state), what deploy_stack.sh's
    plan adds to its own arguments, and the variables a plain `terraform plan|destroy` needs."""

    name: str
    directory: Path
    backend: str
    plan_args: tuple[str, ...]
    variables: tuple[str, ...]


@dataclass(frozen=True)
class Release:
    """What the release of the `deployed` fixture left: `terraform output release` (the functions, their new
    versions, the CodeDeploy application and groups), release.py's output, each function's `live` version after
    the release and after the rollback, and the plans and states the run made."""

    described: dict[str, Any]
    deploy_log: str
    after_release: dict[str, str]
    rollback_log: str
    after_rollback: dict[str, str]
    scanned: list[Path]


@dataclass(frozen=True)
class Caller:
    """Who made a recorded request: the role and the command (its label) the session was made for."""

    role_arn: str
    label: str


ADMIN_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
}


@dataclass
class LocalAws:
    """What the apply tests share: moto's endpoint, the environment deployed, a boto3 client factory, each
    stack's scratch folder and its saved plan folder (`plan_dir`), and helpers that run Terraform there."""

    endpoint: str
    environment: str
    work_dir: Path
    package_dir: Path
    stacks: dict[str, Stack] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)
    # Bucket policies read back and then removed for the rest of the run (see the `deployed` fixture).
    lifted_policies: dict[str, str] = field(default_factory=dict)
    # Commands started in the background (`start`) while the tests read what is deployed, by name.
    pending: dict[str, Future[str]] = field(default_factory=dict)
    release: Release | None = None
    # The deploy and plan roles' ARNs once the bootstrap stack made them (`act_as_deploy_role`); "": administrator.
    deploy_role: str = ""
    plan_role: str = ""
    # Where moto records every request it answers (moto_server.py); other environments deployed beside this
    # one in the same server (`others`, by name); the validation's signed requests (`RecordingProxy`).
    recording: Path = Path()
    others: dict[str, LocalAws] = field(default_factory=dict)
    signed_requests: list[dict[str, Any]] = field(default_factory=list)
    # Each role session's access key id -> who used it.
    callers: dict[str, Caller] = field(default_factory=dict)
    _sessions: dict[str, dict[str, str]] = field(default_factory=dict)
    _session_lock: threading.Lock = field(default_factory=threading.Lock)
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=3))

    @property
    def state_bucket(self) -> str:
        """The bootstrap stack names its buckets <prefix>-<env>; this environment's holds the other states."""
        return f"bbws-terraform-state-{self.environment}"

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint)

    def plan_dir(self, stack: str, label: str = "") -> Path:
        """Where `deploy(stack, "plan")` saves the plan (tfplan, plan.txt, changes) of a stack."""
        return self.work_dir / f"plan-{label or stack}"

    def act_as_deploy_role(self) -> None:
        """From now on every command runs as this environment's deploy role, plans as its plan role."""
        iam = self.client("iam")
        self.plan_role = iam.get_role(RoleName=f"bbws-product-api-plan-{self.environment}")["Role"]["Arn"]
        self.deploy_role = iam.get_role(RoleName=f"bbws-product-api-deploy-{self.environment}")["Role"]["Arn"]

    def credentials(self, label: str, stack: Stack | None = None) -> dict[str, str]:
        """The administrator's keys for the bootstrap stack (and before it exists), else a role session of this
        command's own from moto's STS: the plan role's for plans, the deploy role's for the rest."""
        if not self.deploy_role or (stack is not None and stack.name == "bootstrap"):
            return ADMIN_CREDENTIALS
        with self._session_lock:
            if label not in self._sessions:
                role = self.plan_role if label.startswith(("plan-", "replan-")) else self.deploy_role
                given = self.client("sts").assume_role_with_web_identity(
                    RoleArn=role,
                    RoleSessionName=f"{self.environment}-{label}"[:64],
                    WebIdentityToken="github-actions-oidc-token",
                )["Credentials"]
                self.callers[given["AccessKeyId"]] = Caller(role, label)
                # Kept beside the recording, to read a run's requests again afterwards.
                with (self.work_dir / "callers.json").open("w") as out:
                    json.dump({key: [c.role_arn, c.label] for key, c in self.callers.items()}, out, indent=1)
                self._sessions[label] = {
                    "AWS_ACCESS_KEY_ID": given["AccessKeyId"],
                    "AWS_SECRET_ACCESS_KEY": given["SecretAccessKey"],
                    "AWS_SESSION_TOKEN": given["SessionToken"],
                }
            return self._sessions[label]

    def environ(self, stack: Stack | None = None, label: str = "") -> dict[str, str]:
        env = {
            **os.environ,
            **self.credentials(label, stack),
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "TERRAFORM": " ".join(TERRAFORM),
            "TF_VAR_github_repository": GITHUB_REPOSITORY,
            "TF_VAR_state_bucket_force_destroy": "true",
        }
        env.pop("AWS_PROFILE", None)
        if stack is not None:
            env["TF_BACKEND_CONFIG"] = stack.backend
        return env

    def run(self, label: str, command: Sequence[str], stack: Stack | None = None, expect: int = 0) -> str:
        """Run a command into `<label>.log`; a status other than `expect` fails with the log. Returns the log."""
        log = self.work_dir / f"{label}.log"
        started = time.monotonic()
        with log.open("w") as out:
            status = subprocess.run(
                list(command), env=self.environ(stack, label), stdout=out, stderr=subprocess.STDOUT
            ).returncode
        self.timings.append((label, time.monotonic() - started))
        text = log.read_text(errors="replace")
        if status != expect:
            raise CommandFailed(
                f"{label}: {' '.join(command)} exited {status}, expected {expect}:\n{text[-6000:]}"
            )
        return text

    def terraform(self, label: str, stack: str, *args: str, expect: int = 0) -> str:
        """`terraform -chdir=<stack folder> <args>` (providers through scripts/ci/tf_run.sh)."""
        chosen = self.stacks[stack]
        return self.run(label, (*TERRAFORM, f"-chdir={chosen.directory}", *args), chosen, expect)

    def deploy(
        self,
        action: str,
        stack: str,
        label: str = "",
        expect: int = 0,
        fresh: bool = False,
        extra_args: Sequence[str] = (),
    ) -> str:
        """scripts/ops/deploy_stack.sh plan|apply for a stack, with the saved plan in `plan_dir(stack, label)`.
        With `fresh`, the saved plan is applied in a fresh copy of the configuration (as the apply job does on
        another runner, from the plan artifact), which is the stack's folder from then on."""
        if fresh:
            self.stacks[stack] = self.fresh_copy(stack, label or stack)
        chosen = self.stacks[stack]
        extra = (*chosen.plan_args, *extra_args) if action == "plan" else ()
        command = (
            *DEPLOY_STACK,
            action,
            str(chosen.directory),
            self.environment,
            str(self.plan_dir(stack, label)),
        )
        return self.run(f"{action}-{label or stack}", (*command, *extra), chosen, expect)

    def fresh_copy(self, stack: str, label: str) -> Stack:
        """The scratch configuration (terraform/ with its overrides, and what it reads beside it) copied anew
        without providers or state; the stack as it stands in that copy."""
        root = self.work_dir / f"fresh-{label}"
        for folder in ("terraform", "src"):
            shutil.copytree(self.work_dir / folder, root / folder, ignore=_ignored)
        return replace(self.stacks[stack], directory=root / STACK_FOLDERS[stack])

    def run_script(self, label: str, module: str, *args: str, expect: int = 0) -> str:
        """A tool of scripts/ops (`python -m scripts.ops.<module>`) against moto, through AWS_ENDPOINT_URL."""
        command = (sys.executable, "-m", f"scripts.ops.{module}", *args)
        env = {
            **self.environ(label=label),
            "AWS_ENDPOINT_URL": self.endpoint,
            "PYTHONPATH": f"{REPO_ROOT / 'src'}{os.pathsep}{REPO_ROOT}",
        }
        started = time.monotonic()
        done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True)
        self.timings.append((label, time.monotonic() - started))
        (self.work_dir / f"{label}.log").write_text(done.stdout + done.stderr)
        if done.returncode != expect:
            raise CommandFailed(
                f"{label}: {' '.join(command)} exited {done.returncode}, expected {expect}:\n{(done.stdout + done.stderr)[-6000:]}"
            )
        return done.stdout

    def start(self, name: str, work: Callable[[], str]) -> None:
        """Run `work` (Terraform commands on a stack nothing else uses meanwhile) beside the tests."""
        self.pending[name] = self._pool.submit(work)

    def result(self, name: str) -> str:
        """What a background `work` returned (its log); raises what it raised."""
        return self.pending[name].result()

    def settle(self) -> None:
        """Wait for every background command (before the destroy)."""
        for future in self.pending.values():
            future.exception()

    def bucket_policy(self, bucket: str) -> dict[str, Any]:
        """A bucket's policy as applied, also after the run lifted it."""
        if bucket in self.lifted_policies:
            return dict(json.loads(self.lifted_policies[bucket]))
        return dict(json.loads(self.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]))

    def role_statements(self, role: str) -> list[dict[str, Any]]:
        """Every statement of a role's inline policies."""
        iam = self.client("iam")
        statements = []
        for policy_name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
            statements.extend((json.loads(document) if isinstance(document, str) else document)["Statement"])
        return statements

    def managed_resources(self, stack: str) -> list[str]:
        listed = self.terraform(f"state-list-{stack}", stack, "state", "list")
        return [line for line in listed.splitlines() if line and not line.startswith("data.")]


def provider_override(endpoint: str) -> str:
    endpoints = "\n".join(f'    {service:<14} = "{endpoint}"' for service in SERVICES)
    return f"""# Written by tests/terraform/local_aws.py for the local apply only: every AWS call goes to moto.
provider "aws" {{
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {{
{endpoints}
  }}
}}
"""


def s3_settings(endpoint: str) -> str:
    return f"""endpoints = {{ s3 = "{endpoint}" }}
  use_path_style              = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true"""


def scratch_copy(endpoint: str, environment: str, work_dir: Path, package_dir: Path) -> LocalAws:
    """Copy terraform/ (without providers or state) into `work_dir` and point its three stacks at moto."""
    with tarfile.open(work_dir / "terraform.tar", "w") as archive:
        archive.add(
            REPO_ROOT / "terraform",
            arcname="terraform",
            filter=lambda info: None if _excluded(info.name) else info,
        )
        # Both API stacks read src/utils/cors.json (the CORS headers' one home) beside terraform/.
        archive.add(REPO_ROOT / "src" / "utils" / "cors.json", arcname="src/utils/cors.json")
    with tarfile.open(work_dir / "terraform.tar") as archive:
        archive.extractall(work_dir, filter="data")
    state_bucket = f"bbws-terraform-state-{environment}"
    for stack in ("infrastructure", "lambda"):
        (work_dir / f"{stack}.backend.hcl").write_text(
            f'bucket       = "{state_bucket}"\nkey          = "product-api/{stack}.tfstate"\n'
            f'region       = "{REGION}"\nuse_lockfile = true\n{s3_settings(endpoint)}\n'
        )
    root = work_dir / "terraform"
    (root / "bootstrap" / "local_override.tf").write_text(provider_override(endpoint))
    (root / "infrastructure" / "local_override.tf").write_text(provider_override(endpoint))
    (root / "local_override.tf").write_text(provider_override(endpoint) + f"""
data "terraform_remote_state" "infrastructure" {{
  config = {{
    bucket = "{state_bucket}"
    key    = "product-api/infrastructure.tfstate"
    region = "{REGION}"
    {s3_settings(endpoint)}
  }}
}}
""")
    tfvars = (f"-var-file=environments/{environment}.tfvars",)
    packages = ("-var", f"package_dir={package_dir}")
    aws = LocalAws(endpoint, environment, work_dir, package_dir)
    aws.stacks = {
        "bootstrap": Stack("bootstrap", root / "bootstrap", "none", (), ()),
        "infrastructure": Stack(
            "infrastructure",
            root / "infrastructure",
            str(work_dir / "infrastructure.backend.hcl"),
            (),
            tfvars,
        ),
        "lambda": Stack("lambda", root, str(work_dir / "lambda.backend.hcl"), packages, (*tfvars, *packages)),
    }
    return aws


def _excluded(name: str) -> bool:
    """Providers and state stay behind; the committed lock files come along (init is -lockfile=readonly)."""
    base = name.rsplit("/", 1)[-1]
    return base == ".terraform" or ".tfstate" in base


def _ignored(folder: str, names: list[str]) -> set[str]:
    return {name for name in names if _excluded(name)}


def as_set(value: str | list[str]) -> set[str]:
    """An IAM statement's Action or Resource, one string or a list, as a set."""
    return {value} if isinstance(value, str) else set(value)
