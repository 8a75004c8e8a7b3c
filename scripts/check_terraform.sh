#!/usr/bin/env bash
# Every deployment check, offline: formatting, validation and tests of both Terraform stacks, checkov, the
# Lambda packages, and a real apply of both stacks against moto's server (scripts/tf_local_apply.sh).
#
#   bash scripts/check_terraform.sh
#
# Terraform comes from PATH; providers from a local mirror when there is one (scripts/tf_run.sh). checkov is
# installed from requirements-checkov.txt into .venv-checkov (its dependencies conflict with ours). The
# boto3 checks use .venv (CHECK_PYTHON overrides it).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo_root}"
tf=(bash scripts/tf_run.sh)
stacks=(terraform/infrastructure terraform)
started=${SECONDS}

step() {
  printf '\n==> [%3ss] %s\n' "$((SECONDS - started))" "$*"
}

step "terraform fmt -check -recursive terraform"
"${tf[@]}" fmt -check -recursive -diff terraform

step "packages for Lambda (arm64): scripts/package_lambdas.sh"
bash scripts/package_lambdas.sh

for stack in "${stacks[@]}"; do
  step "terraform init (no backend) + validate: ${stack}"
  "${tf[@]}" -chdir="${stack}" init -backend=false -input=false -no-color > /dev/null
  "${tf[@]}" -chdir="${stack}" validate -no-color
done

for stack in "${stacks[@]}"; do
  step "terraform test (mock provider): ${stack}"
  "${tf[@]}" -chdir="${stack}" test -no-color
done

step "checkov over terraform/"
checkov_venv="${repo_root}/.venv-checkov"
stamp="${checkov_venv}/.requirements.sha256"
wanted="$(sha256sum requirements-checkov.txt | cut -d' ' -f1)"
if [[ ! -x "${checkov_venv}/bin/checkov" || "$(cat "${stamp}" 2>/dev/null)" != "${wanted}" ]]; then
  echo "    installing checkov into ${checkov_venv}"
  "${CHECKOV_PYTHON:-python3}" -m venv "${checkov_venv}"
  printf '*\n' > "${checkov_venv}/.gitignore"
  "${checkov_venv}/bin/pip" install --quiet --disable-pip-version-check -r requirements-checkov.txt
  echo "${wanted}" > "${stamp}"
fi
"${checkov_venv}/bin/checkov" --directory terraform --framework terraform --skip-download --quiet --compact

step "local apply against moto: scripts/tf_local_apply.sh"
bash scripts/tf_local_apply.sh

step "all Terraform checks passed in $((SECONDS - started)) s"
