#!/usr/bin/env bash
# Run one step of `make test`: a banner before and after it with its elapsed time, and its counts in
# build/summary.tsv (the file .ci/run sums into its last line, scripts/ci/ci_summary.py).
#
#   bash scripts/ci/ci_step.sh NAME -- COMMAND [ARGS...]
#
# The command sees CI_SUMMARY (the summary file) and records its own counts with `ci_summary.py record|junit|
# tftest|...`. A step that records nothing counts as one check, passed or failed by its exit status; a step
# that fails although every count it recorded passed (coverage under the bar, a crash after the tests) gets
# one failed check more, so a failing step can never add up to "0 failed".
# The command records into a file of its own, appended to the summary when it ends, so steps may run at the
# same time (make test runs two lanes) without one counting the other's lines.
set -uo pipefail

name="$1"
shift
[[ "${1:-}" == "--" ]] && shift
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
summary_file="${CI_SUMMARY:-${repo_root}/build/summary.tsv}"
mkdir -p "$(dirname "${summary_file}")"
touch "${summary_file}"
[[ -f "${repo_root}/build/.gitignore" ]] || printf '*\n' > "${repo_root}/build/.gitignore"
summary=(python3 "${repo_root}/scripts/ci/ci_summary.py")
CI_SUMMARY="$(mktemp)"
export CI_SUMMARY
trap 'rm -f "${CI_SUMMARY}"' EXIT

started=${SECONDS}
command_line="$*"
command_line="${command_line%%$'\n'*}"
printf '\n==> [%s] %s\n' "${name}" "${command_line:0:100}"
"$@"
status=$?
elapsed=$((SECONDS - started))

recorded="$(cat "${CI_SUMMARY}")"
if [[ -z "${recorded}" ]]; then
  if [[ ${status} -eq 0 ]]; then "${summary[@]}" record "${name}" 1 0; else "${summary[@]}" record "${name}" 0 1; fi
elif [[ ${status} -ne 0 ]] && ! awk -F'\t' '$3 > 0 { found = 1 } END { exit !found }' <<< "${recorded}"; then
  "${summary[@]}" record "${name}-exit-status" 0 1
fi
cat "${CI_SUMMARY}" >> "${summary_file}"
counts="$(awk -F'\t' '{ p += $2; f += $3; s += $4 } END { printf "%d passed, %d failed, %d skipped", p, f, s }' "${CI_SUMMARY}")"
if [[ ${status} -eq 0 ]]; then verdict="ok"; else verdict="FAILED (exit ${status})"; fi
printf '<== [%s] %s in %d s: %s\n' "${name}" "${verdict}" "${elapsed}" "${counts}"
exit "${status}"
