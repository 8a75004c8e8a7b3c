#!/usr/bin/env bash
# Run terraform with its arguments, installing providers from a local mirror when this machine has one.
#
# A machine without internet access to the Terraform registry can carry the providers in a filesystem mirror
# (registry.terraform.io/hashicorp/aws/<version>/<os_arch>/...). TF_PLUGIN_DIR names it; unset, the script looks
# for such a mirror in the usual places for shared software (/opt, /usr/local/share, /usr/share, $HOME, four
# levels deep); TF_PLUGIN_DIR= (empty) turns the mirror off. Without a mirror, terraform installs from the registry
# as usual. Either way providers are cached once under build/terraform/plugin-cache.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
find_mirror() {
  local aws_dir
  aws_dir="$(find /opt /usr/local/share /usr/share "${HOME:-/nonexistent}" -maxdepth 4 -type d \
    -path '*/registry.terraform.io/hashicorp/aws' -print -quit 2>/dev/null || true)"
  [[ -n "${aws_dir}" ]] && dirname "$(dirname "$(dirname "${aws_dir}")")"
  return 0
}
plugin_dir="${TF_PLUGIN_DIR-$(find_mirror)}"
tf_home="${repo_root}/build/terraform"
mkdir -p "${tf_home}/plugin-cache"
[[ -f "${repo_root}/build/.gitignore" ]] || printf '*\n' > "${repo_root}/build/.gitignore"

settings="$(
  printf 'plugin_cache_dir = "%s"\n' "${tf_home}/plugin-cache"
  if [[ -n "${plugin_dir}" && -d "${plugin_dir}" ]]; then
    printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "${plugin_dir}"
  fi
)"
if [[ -n "${plugin_dir}" && ! -d "${plugin_dir}" && -n "${TF_PLUGIN_DIR:-}" ]]; then
  echo "tf_run.sh: TF_PLUGIN_DIR=${plugin_dir} is not a directory" >&2
  exit 1
fi
# One file per content: a run with other settings (another mirror, or none) never rewrites the file a run
# waiting for the init lock below is about to read.
cli_config="${tf_home}/cli-$(printf '%s' "${settings}" | cksum | cut -d ' ' -f 1).tfrc"
printf '%s\n' "${settings}" > "${cli_config}.tmp.$$"
mv "${cli_config}.tmp.$$" "${cli_config}"
export TF_CLI_CONFIG_FILE="${cli_config}"
export TF_IN_AUTOMATION="${TF_IN_AUTOMATION:-1}"

# Inits running at once (make test's lanes, the apply tests' background plans) would race to fill a cold plugin
# cache ("failed to create directory ... file exists"): they take turns. The lock is held until terraform exits.
for argument in "$@"; do
  if [[ "${argument}" == init ]]; then
    exec 9> "${tf_home}/init.lock"
    flock 9
    break
  fi
done

exec terraform "$@"
