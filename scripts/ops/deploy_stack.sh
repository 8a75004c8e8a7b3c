#!/usr/bin/env bash
# Plan and apply one Terraform stack the way the deploy workflows do: the plan is a file a reviewer reads
# before approving, and the apply applies exactly that file, or nothing.
#
#   scripts/ops/deploy_stack.sh plan  STACK_DIR ENV PLAN_DIR [PLAN ARGS...]
#       init with STACK_DIR/environments/ENV.backend.hcl, plan with environments/ENV.tfvars (when the stack has
#       one) into PLAN_DIR/tfplan; PLAN_DIR/plan.txt is the human-readable plan, PLAN_DIR/.terraform.lock.hcl
#       the providers it was made with, PLAN_DIR/changes is "true" or "false".
#   scripts/ops/deploy_stack.sh apply STACK_DIR ENV PLAN_DIR
#       init with the same providers and backend, apply PLAN_DIR/tfplan. If the state changed since the plan
#       (another apply ran in between), Terraform refuses the stale plan and this says to re-run.
#   scripts/ops/deploy_stack.sh init STACK_DIR ENV PLAN_DIR
#       only that init (a plan without changes: the deploy job still reads the stack's outputs).
#
# TF_BACKEND_CONFIG overrides the backend file ("none": the stack's own local state). TERRAFORM is the command
# (default terraform; the apply tests in tests/terraform pass scripts/ci/tf_run.sh). In GitHub Actions the plan
# also goes into the job summary.
set -euo pipefail

usage() { echo "usage: $0 plan|apply|init STACK_DIR ENV PLAN_DIR [PLAN ARGS...]" >&2; exit 64; }
[[ $# -ge 4 ]] || usage
action="$1" stack="$2" environment="$3"
mkdir -p "$4"
plan_dir="$(cd "$4" && pwd)"
shift 4
read -r -a tf <<< "${TERRAFORM:-terraform}"
backend="${TF_BACKEND_CONFIG:-environments/${environment}.backend.hcl}"
# GitHub renders ::error:: lines as annotations on the run; elsewhere they are plain messages.
annotate() { if [[ -n "${GITHUB_ACTIONS:-}" ]]; then echo "::error title=$1::$2"; else echo "$1: $2" >&2; fi; }

init() {
  # The committed .terraform.lock.hcl decides the provider build; init never changes it.
  local args=(-chdir="${stack}" init -input=false -no-color -lockfile=readonly)
  if [[ "${backend}" != none ]]; then args+=(-backend-config="${backend}"); fi
  "${tf[@]}" "${args[@]}"
}

plan() {
  init
  cp "${stack}/.terraform.lock.hcl" "${plan_dir}/.terraform.lock.hcl"
  local args=(-chdir="${stack}" plan -input=false -no-color -detailed-exitcode -out="${plan_dir}/tfplan")
  if [[ -f "${stack}/environments/${environment}.tfvars" ]]; then args+=(-var-file="environments/${environment}.tfvars"); fi
  local status=0
  "${tf[@]}" "${args[@]}" "$@" || status=$?
  # -detailed-exitcode: 0 no changes, 2 changes, anything else an error.
  case ${status} in
    0) echo false > "${plan_dir}/changes" ;;
    2) echo true > "${plan_dir}/changes" ;;
    *) exit "${status}" ;;
  esac
  "${tf[@]}" -chdir="${stack}" show -no-color "${plan_dir}/tfplan" > "${plan_dir}/plan.txt"
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    {
      echo "### Terraform plan: ${stack} (${environment})"
      echo
      grep -E '^(Plan:|No changes\.)' "${plan_dir}/plan.txt" || true
      echo
      echo '```'
      head -c 60000 "${plan_dir}/plan.txt"
      echo '```'
      [[ $(wc -c < "${plan_dir}/plan.txt") -le 60000 ]] || echo "(cut at 60 kB: the whole plan is in the plan artifact, plan.txt)"
    } >> "${GITHUB_STEP_SUMMARY}"
  fi
  echo "plan written to ${plan_dir}/tfplan (changes: $(cat "${plan_dir}/changes"))"
}

init_as_planned() {
  [[ -f "${plan_dir}/tfplan" ]] || { annotate "No plan" "${plan_dir}/tfplan does not exist: run the plan first."; exit 1; }
  cp "${plan_dir}/.terraform.lock.hcl" "${stack}/.terraform.lock.hcl"
  init
}

apply() {
  init_as_planned
  local log="${plan_dir}/apply.log" status=0
  "${tf[@]}" -chdir="${stack}" apply -input=false -no-color "${plan_dir}/tfplan" 2>&1 | tee "${log}" || status=$?
  if [[ ${status} -ne 0 ]] && grep -q "Saved plan is stale" "${log}"; then
    annotate "Stale plan" "the ${stack} state for ${environment} changed after this plan was made (another apply ran in between). Nothing was applied. Re-run the workflow to plan again and review the new plan."
    exit 3
  fi
  exit "${status}"
}

case "${action}" in
  plan) plan "$@" ;;
  apply) apply ;;
  init) init_as_planned ;;
  *) usage ;;
esac
