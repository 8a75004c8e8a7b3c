#!/usr/bin/env bash
# Apply the three stacks for real against moto's server on loopback, as from an empty account: the bootstrap
# stack first (state buckets, GitHub OIDC provider, plan and deploy roles), then the infrastructure and Lambda
# stacks into its dev state bucket, each through scripts/ops/deploy_stack.sh (a saved plan, then exactly that plan
# applied, as the deploy workflows do). Verify with boto3, check that a stale plan is refused, re-plan
# (expecting no changes) and destroy all three.
#
# The endpoints and fake credentials live only in override files written into a scratch copy of terraform/,
# never in the real configuration. Needs the packages: run scripts/ops/package_lambdas.sh first. Counts go to
# CI's summary (scripts/ci/ci_summary.py) when CI_SUMMARY is set.
set -euo pipefail
started=${SECONDS}

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${CHECK_PYTHON:-${repo_root}/.venv/bin/python}"
tf=(bash "${repo_root}/scripts/ci/tf_run.sh")
environment="dev"
# The bootstrap stack names its buckets <prefix>-<env>; dev's holds the other two stacks' states here.
state_bucket="bbws-terraform-state-${environment}"
package_dir="${repo_root}/build/lambda"

[[ -f "${package_dir}/list_products.zip" ]] || { echo "tf_local_apply.sh: no packages in ${package_dir}; run scripts/ops/package_lambdas.sh" >&2; exit 1; }

work_dir="$(mktemp -d)"
moto_pid=""
cleanup() {
  if [[ -n "${moto_pid}" ]]; then kill "${moto_pid}" 2>/dev/null || true; wait "${moto_pid}" 2>/dev/null || true; fi
  rm -rf "${work_dir}"
}
trap cleanup EXIT

port="$("${python}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
endpoint="http://127.0.0.1:${port}"
echo "==> starting moto on ${endpoint}"
# Managed policies loaded: the infrastructure stack attaches AmazonAPIGatewayPushToCloudWatchLogs.
MOTO_IAM_LOAD_MANAGED_POLICIES=true "${python}" "${repo_root}/scripts/tf_moto_server.py" -H 127.0.0.1 -p "${port}" > "${work_dir}/moto.log" 2>&1 &
moto_pid=$!

export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_SESSION_TOKEN=local
export AWS_DEFAULT_REGION=eu-west-1 AWS_REGION=eu-west-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE
export LOCAL_AWS_ENDPOINT="${endpoint}"
export PYTHONPATH="${repo_root}"
cd "${repo_root}"

# Run a command quietly into a log; on failure show the whole log and stop.
run_logged() {
  local log="${work_dir}/$1.log"
  shift
  if ! "$@" > "${log}" 2>&1; then
    cat "${log}" >&2
    echo "tf_local_apply.sh: failed: $*" >&2
    exit 1
  fi
}

"${python}" -m scripts.tf_local_check wait

echo "==> scratch copy of terraform/ with local overrides in ${work_dir}"
(cd "${repo_root}" && tar --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='*.tfstate*' -cf - terraform) | tar -xf - -C "${work_dir}"

provider_override() {
  cat <<HCL
# Written by scripts/tf_local_apply.sh for the local apply only: every AWS call goes to moto.
provider "aws" {
  access_key                  = "local"
  secret_key                  = "local"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {
    apigateway = "${endpoint}"
    cloudwatch = "${endpoint}"
    dynamodb   = "${endpoint}"
    iam        = "${endpoint}"
    lambda     = "${endpoint}"
    logs       = "${endpoint}"
    s3         = "${endpoint}"
    sts        = "${endpoint}"
  }
}
HCL
}
s3_settings="endpoints = { s3 = \"${endpoint}\" }
  use_path_style              = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  access_key                  = \"local\"
  secret_key                  = \"local\""

for stack in infrastructure lambda; do
  key="product-api/${stack}.tfstate"
  printf 'bucket       = "%s"\nkey          = "%s"\nregion       = "eu-west-1"\nuse_lockfile = true\n%s\n' \
    "${state_bucket}" "${key}" "${s3_settings}" > "${work_dir}/${stack}.backend.hcl"
done
provider_override > "${work_dir}/terraform/bootstrap/local_override.tf"
provider_override > "${work_dir}/terraform/infrastructure/local_override.tf"
{
  provider_override
  cat <<HCL

data "terraform_remote_state" "infrastructure" {
  config = {
    bucket = "${state_bucket}"
    key    = "product-api/infrastructure.tfstate"
    region = "eu-west-1"
    ${s3_settings}
  }
}
HCL
} > "${work_dir}/terraform/local_override.tf"

bootstrap_dir="${work_dir}/terraform/bootstrap"
infra_dir="${work_dir}/terraform/infrastructure"
lambda_dir="${work_dir}/terraform"
infra_vars=(-var-file=environments/${environment}.tfvars)
lambda_vars=(-var-file=environments/${environment}.tfvars -var "package_dir=${package_dir}")
export TERRAFORM="bash ${repo_root}/scripts/ci/tf_run.sh"
deploy=(bash "${repo_root}/scripts/ops/deploy_stack.sh")
steps_passed=0
passed() { steps_passed=$((steps_passed + 1)); echo "    ok [$((SECONDS - started)) s]: $*"; }

echo "==> bootstrap stack: plan, then apply that plan (local state, as an administrator would)"
export TF_VAR_github_repository="example-org/bbws-product-api" TF_VAR_state_bucket_force_destroy=true
TF_BACKEND_CONFIG=none run_logged plan-bootstrap "${deploy[@]}" plan "${bootstrap_dir}" "${environment}" "${work_dir}/plan-bootstrap"
TF_BACKEND_CONFIG=none run_logged apply-bootstrap "${deploy[@]}" apply "${bootstrap_dir}" "${environment}" "${work_dir}/plan-bootstrap"
passed "bootstrap applied: $("${tf[@]}" -chdir="${bootstrap_dir}" state list | grep -c -v '^data\.') resources"
"${python}" -m scripts.tf_local_check verify-bootstrap --repository "${TF_VAR_github_repository}"

echo "==> a stale plan is refused: plan, change the state, apply the first plan"
TF_BACKEND_CONFIG=none run_logged plan-stale "${deploy[@]}" plan "${bootstrap_dir}" "${environment}" "${work_dir}/plan-stale"
# Any write to the state makes the plan stale. Forgetting the dev bucket's policy is quick, and that policy is
# lifted below anyway (moto cannot evaluate it); the bucket takes it along when it is destroyed.
run_logged state-in-between "${tf[@]}" -chdir="${bootstrap_dir}" state rm 'aws_s3_bucket_policy.state["dev"]'
set +e
TF_BACKEND_CONFIG=none "${deploy[@]}" apply "${bootstrap_dir}" "${environment}" "${work_dir}/plan-stale" > "${work_dir}/apply-stale.log" 2>&1
status=$?
set -e
if [[ ${status} -ne 3 ]] || ! grep -q "Re-run the workflow" "${work_dir}/apply-stale.log"; then
  cat "${work_dir}/apply-stale.log" >&2
  echo "tf_local_apply.sh: applying a stale plan exited ${status}; expected 3 and the advice to re-run" >&2
  exit 1
fi
passed "stale plan refused: $(grep -o 'Stale plan.*changed after this plan' "${work_dir}/apply-stale.log")"

# moto applies the bucket policy's Deny without its aws:SecureTransport condition, so it would refuse every
# object request (there is no TLS on loopback either). The policy was verified above; lift it for the rest.
"${python}" -m scripts.tf_local_check lift-bucket-policy --bucket "${state_bucket}"

echo "==> infrastructure stack (${environment}.tfvars): plan, apply that plan, through the S3 backend"
TF_BACKEND_CONFIG="${work_dir}/infrastructure.backend.hcl" run_logged plan-infrastructure "${deploy[@]}" plan "${infra_dir}" "${environment}" "${work_dir}/plan-infrastructure"
TF_BACKEND_CONFIG="${work_dir}/infrastructure.backend.hcl" run_logged apply-infrastructure "${deploy[@]}" apply "${infra_dir}" "${environment}" "${work_dir}/plan-infrastructure"
passed "infrastructure applied"
echo "==> Lambda stack (${environment}.tfvars, remote state from the infrastructure stack): plan, apply that plan"
TF_BACKEND_CONFIG="${work_dir}/lambda.backend.hcl" run_logged plan-lambda "${deploy[@]}" plan "${lambda_dir}" "${environment}" "${work_dir}/plan-lambda" -var "package_dir=${package_dir}"
TF_BACKEND_CONFIG="${work_dir}/lambda.backend.hcl" run_logged apply-lambda "${deploy[@]}" apply "${lambda_dir}" "${environment}" "${work_dir}/plan-lambda"
passed "Lambda stack applied"

infra_count="$("${tf[@]}" -chdir="${infra_dir}" state list | grep -c -v '^data\.')"
lambda_count="$("${tf[@]}" -chdir="${lambda_dir}" state list | grep -c -v '^data\.')"
echo "    managed resources applied: infrastructure ${infra_count}, Lambda stack ${lambda_count}"

echo "==> verify with boto3"
"${python}" -m scripts.tf_local_check verify --environment "${environment}" --package-dir "${package_dir}"

echo "==> re-plan both stacks: expecting no changes"
for pair in "infrastructure:${infra_dir}" "lambda:${lambda_dir}"; do
  stack="${pair%%:*}"; dir="${pair#*:}"
  if [[ "${stack}" == infrastructure ]]; then vars=("${infra_vars[@]}"); else vars=("${lambda_vars[@]}"); fi
  set +e
  "${tf[@]}" -chdir="${dir}" plan -input=false -no-color -detailed-exitcode "${vars[@]}" > "${work_dir}/replan-${stack}.log" 2>&1
  status=$?
  set -e
  if [[ ${status} -ne 0 ]]; then
    cat "${work_dir}/replan-${stack}.log"
    echo "tf_local_apply.sh: re-plan of the ${stack} stack exited ${status} (0 = no changes expected)" >&2
    exit 1
  fi
  passed "${stack}: re-plan shows no changes"
done

echo "==> destroy the three stacks"
run_logged destroy-lambda "${tf[@]}" -chdir="${lambda_dir}" destroy -input=false -no-color -auto-approve "${lambda_vars[@]}"
run_logged destroy-infrastructure "${tf[@]}" -chdir="${infra_dir}" destroy -input=false -no-color -auto-approve "${infra_vars[@]}"
run_logged destroy-bootstrap "${tf[@]}" -chdir="${bootstrap_dir}" destroy -input=false -no-color -auto-approve
grep -h "Destroy complete" "${work_dir}"/destroy-*.log | sed 's/^/    /'
passed "all three stacks destroyed"
if [[ -n "${CI_SUMMARY:-}" ]]; then python3 "${repo_root}/scripts/ci/ci_summary.py" record local-apply-steps "${steps_passed}" 0; fi
echo "==> local apply passed (${steps_passed} steps)"
