#!/usr/bin/env bash
# Apply both stacks for real against moto's server on loopback, verify the result with boto3, re-plan
# (expecting no changes) and destroy.
#
# Steps: start moto on a free loopback port; create the state bucket; apply terraform/infrastructure with
# dev.tfvars through the S3 backend; apply terraform/ (reading that state through terraform_remote_state);
# verify with scripts/tf_local_check.py; plan both with -detailed-exitcode (0 = no changes); destroy both.
# The endpoints and fake credentials live only in override files written into a scratch copy of terraform/,
# never in the real configuration. Needs the packages: run scripts/package_lambdas.sh first.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${CHECK_PYTHON:-${repo_root}/.venv/bin/python}"
tf=(bash "${repo_root}/scripts/tf_run.sh")
environment="dev"
state_bucket="bbws-terraform-state-local"
package_dir="${repo_root}/build/lambda"

[[ -f "${package_dir}/list_products.zip" ]] || { echo "tf_local_apply.sh: no packages in ${package_dir}; run scripts/package_lambdas.sh" >&2; exit 1; }

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

"${python}" "${repo_root}/scripts/tf_local_check.py" wait-and-bootstrap --bucket "${state_bucket}"

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

infra_dir="${work_dir}/terraform/infrastructure"
lambda_dir="${work_dir}/terraform"
infra_vars=(-var-file=environments/${environment}.tfvars)
lambda_vars=(-var-file=environments/${environment}.tfvars -var "infrastructure_state_bucket=${state_bucket}" -var "package_dir=${package_dir}")

echo "==> init both stacks against the S3 backend on moto"
run_logged init-infrastructure "${tf[@]}" -chdir="${infra_dir}" init -input=false -no-color -backend-config="${work_dir}/infrastructure.backend.hcl"
run_logged init-lambda "${tf[@]}" -chdir="${lambda_dir}" init -input=false -no-color -backend-config="${work_dir}/lambda.backend.hcl"

echo "==> apply infrastructure (${environment}.tfvars)"
run_logged apply-infrastructure "${tf[@]}" -chdir="${infra_dir}" apply -input=false -no-color -auto-approve "${infra_vars[@]}"
echo "==> apply Lambda stack (${environment}.tfvars, remote state from the infrastructure stack)"
run_logged apply-lambda "${tf[@]}" -chdir="${lambda_dir}" apply -input=false -no-color -auto-approve "${lambda_vars[@]}"

infra_count="$("${tf[@]}" -chdir="${infra_dir}" state list | grep -c -v '^data\.')"
lambda_count="$("${tf[@]}" -chdir="${lambda_dir}" state list | grep -c -v '^data\.')"
echo "    managed resources applied: infrastructure ${infra_count}, Lambda stack ${lambda_count}"

echo "==> verify with boto3"
"${python}" "${repo_root}/scripts/tf_local_check.py" verify --environment "${environment}" --package-dir "${package_dir}"

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
  echo "    ${stack}: no changes"
done

echo "==> destroy both stacks"
run_logged destroy-lambda "${tf[@]}" -chdir="${lambda_dir}" destroy -input=false -no-color -auto-approve "${lambda_vars[@]}"
run_logged destroy-infrastructure "${tf[@]}" -chdir="${infra_dir}" destroy -input=false -no-color -auto-approve "${infra_vars[@]}"
grep -h "Destroy complete" "${work_dir}/destroy-lambda.log" "${work_dir}/destroy-infrastructure.log" | sed 's/^/    /' 
echo "==> local apply passed"
