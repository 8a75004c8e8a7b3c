#!/usr/bin/env bash
# Every deployment check, offline: formatting, validation and tests of the three Terraform stacks (bootstrap,
# infrastructure, Lambda), checkov, and a real apply of the three stacks against moto's server (the pytest
# tests in tests/terraform). Both halves need the Lambda packages (build/lambda) and the dev venv (.venv): run
# alone, on a fresh clone too, it makes whichever is missing; `make terraform` and `make terraform-apply` build
# the packages once before both lanes. With CI_SUMMARY set (make test), each check's counts go to CI's summary.
#
#   bash scripts/ci/check_terraform.sh            # all of it
#   bash scripts/ci/check_terraform.sh --static   # fmt, validate, terraform test, checkov (make terraform)
#   bash scripts/ci/check_terraform.sh --apply    # the apply tests (make terraform-apply)
#
# make test runs the two halves at once: the apply mostly waits on moto and the AWS provider.
#
# Terraform comes from PATH; providers from a local mirror when there is one (scripts/ci/tf_run.sh). checkov is
# installed from requirements-checkov.txt into .venv-checkov (its dependencies conflict with ours). The
# apply tests run with .venv's Python (CHECK_PYTHON overrides it).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${repo_root}"
tf=(bash scripts/ci/tf_run.sh)
python="${CHECK_PYTHON:-${repo_root}/.venv/bin/python}"
stacks=(terraform/bootstrap terraform/infrastructure terraform)
started=${SECONDS}
logs="$(mktemp -d)"
trap 'rm -rf "${logs}"' EXIT

step() {
  printf '\n==> [%3ss] %s\n' "$((SECONDS - started))" "$*"
}

# Counts for CI's summary line (scripts/ci/ci_summary.py); a no-op outside `make test`.
summary() {
  if [[ -n "${CI_SUMMARY:-}" ]]; then python3 scripts/ci/ci_summary.py "$@"; fi
}

part="${1:-all}"
case "${part}" in all | --static | --apply) ;; *) echo "usage: $0 [--static|--apply]" >&2; exit 64 ;; esac

static_checks() {
  step "terraform fmt -check -recursive terraform"
  "${tf[@]}" fmt -check -recursive -diff terraform
  summary record terraform-fmt 1 0

  for stack in "${stacks[@]}"; do
    step "terraform init (no backend) + validate: ${stack}"
    "${tf[@]}" -chdir="${stack}" init -backend=false -input=false -no-color -lockfile=readonly > /dev/null
    "${tf[@]}" -chdir="${stack}" validate -no-color
    summary record "terraform-validate:${stack}" 1 0
  done

  for stack in "${stacks[@]}"; do
    step "terraform test (mock provider): ${stack}"
    status=0
    "${tf[@]}" -chdir="${stack}" test -no-color | tee "${logs}/test.log" || status=$?
    summary tftest "terraform-test:${stack}" "${logs}/test.log"
    [[ ${status} -eq 0 ]] || exit "${status}"
  done

  step "checkov over terraform/"
  checkov_venv="${repo_root}/.venv-checkov"
  stamp="${checkov_venv}/.requirements.sha256"
  wanted="$(sha256sum requirements-checkov.txt | cut -d' ' -f1)"
  if [[ ! -x "${checkov_venv}/bin/checkov" || "$(cat "${stamp}" 2>/dev/null)" != "${wanted}" ]]; then
    echo "    installing checkov into ${checkov_venv}"
    "${CHECKOV_PYTHON:-python3}" -m venv "${checkov_venv}"
    printf '*\n' > "${checkov_venv}/.gitignore"
    "${checkov_venv}/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r requirements-checkov.txt
    echo "${wanted}" > "${stamp}"
  fi
  status=0
  "${checkov_venv}/bin/checkov" --directory terraform --framework terraform --skip-download --quiet \
    --compact \
    | tee "${logs}/checkov.log" || status=$?
  summary checkov checkov "${logs}/checkov.log"
  [[ ${status} -eq 0 ]] || exit "${status}"
}

apply_checks() {
  step "local apply against moto: pytest tests/terraform"
  status=0
  "${python}" -m pytest tests/terraform -p no:cacheprovider \
    --junitxml=build/reports/terraform-apply-junit.xml || status=$?
  summary junit terraform-apply build/reports/terraform-apply-junit.xml
  [[ ${status} -eq 0 ]] || exit "${status}"
}

# What both halves read: the dev venv (unless CHECK_PYTHON names another Python) and every package the Lambda
# stack hashes. Built only when missing, so the lanes of make test never rebuild what the other is reading.
if [[ -z "${CHECK_PYTHON:-}" && ! -f .venv/.dev-installed ]]; then
  step "making the dev venv (.venv)"
  make --no-print-directory .venv/.dev-installed
fi
packages_missing() {
  local name
  for name in dependencies-layer canary $("${python}" scripts/function_manifest.py); do
    [[ -f "build/lambda/${name}.zip" ]] || return 0
  done
  return 1
}
if packages_missing; then
  step "building the Lambda packages (build/lambda has not all of them)"
  bash scripts/ops/package_lambdas.sh
fi

[[ "${part}" == --apply ]] || static_checks
[[ "${part}" == --static ]] || apply_checks
step "all Terraform checks passed in $((SECONDS - started)) s"
