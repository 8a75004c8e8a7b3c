#!/usr/bin/env bash
# Build the function ZIPs (listed in terraform/functions.json), the shared dependencies layer and the
# canary's script (canary.zip) into build/lambda (or --output DIR).
#
#   bash scripts/ops/package_lambdas.sh                      # for AWS Lambda: CPython 3.12 on arm64 (manylinux)
#   bash scripts/ops/package_lambdas.sh --platform host      # for this machine (the self-containment test)
#
# Each function ZIP holds src/'s packages (its own handler module, not the other four) at the archive root,
# handler "handlers.<name>.handler". The layer holds requirements.txt minus boto3 (the runtime provides
# boto3) under python/, installed from wheels only. Entries are sorted and dated 1980-01-01, so a rebuild of
# the same sources gives byte-identical files and Terraform sees no change.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
platform="lambda"
output_dir="${repo_root}/build/lambda"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --platform) platform="$2"; shift 2 ;;
    --output) output_dir="$2"; shift 2 ;;
    *) echo "usage: $0 [--platform lambda|host] [--output DIR]" >&2; exit 2 ;;
  esac
done

src_dir="${repo_root}/src"
python="${PACKAGE_PYTHON:-python3}"
if [[ -z "${PACKAGE_PYTHON:-}" && -x "${repo_root}/.venv/bin/python" ]]; then
  python="${repo_root}/.venv/bin/python"
fi
# The functions, from the manifest Terraform also reads (terraform/functions.json).
mapfile -t functions < <("${python}" "${repo_root}/scripts/function_manifest.py")
(( ${#functions[@]} > 0 )) || { echo "package_lambdas.sh: no functions read from terraform/functions.json" >&2; exit 1; }

for name in "${functions[@]}"; do
  [[ -f "${src_dir}/handlers/${name}.py" ]] || { echo "package_lambdas.sh: missing ${src_dir}/handlers/${name}.py" >&2; exit 1; }
done

case "${platform}" in
  lambda) pip_platform=(--platform manylinux2014_aarch64 --implementation cp --python-version 3.12 --abi cp312) ;;
  host)
    "${python}" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' \
      || { echo "package_lambdas.sh: --platform host needs Python 3.12 (PACKAGE_PYTHON=${python})" >&2; exit 1; }
    pip_platform=()
    ;;
  *) echo "package_lambdas.sh: unknown platform ${platform} (lambda or host)" >&2; exit 2 ;;
esac

work_dir="$(mktemp -d)"
trap 'rm -rf "${work_dir}"' EXIT
mkdir -p "${output_dir}"
[[ -f "${repo_root}/build/.gitignore" ]] || { mkdir -p "${repo_root}/build"; printf '*\n' > "${repo_root}/build/.gitignore"; }

echo "==> dependencies layer (${platform}): requirements.txt without boto3"
grep -v -i -E '^[[:space:]]*(boto3|botocore)([^A-Za-z0-9_.-]|$)' "${repo_root}/requirements.txt" > "${work_dir}/layer-requirements.txt"
"${python}" -m pip install --quiet --disable-pip-version-check --no-compile --only-binary=:all: \
  "${pip_platform[@]}" --target "${work_dir}/layer/python" -r "${work_dir}/layer-requirements.txt"
rm -rf "${work_dir}/layer/python/bin"

echo "==> function sources from src/"
for name in "${functions[@]}"; do
  stage="${work_dir}/functions/${name}"
  mkdir -p "${stage}"
  # -type l: src/functions.json links to terraform/functions.json, and cp copies what it points to.
  (cd "${src_dir}" && find . \( -type f -o -type l \) ! -path '*/__pycache__/*' ! -name '*.py[co]' ! -path '*.egg-info/*' ! -name '.DS_Store' -print0) |
    while IFS= read -r -d '' file; do
      # The other handlers stay out: each package carries its own handler (plus the shared handlers modules).
      case "${file}" in
        ./handlers/*.py)
          module="$(basename "${file}" .py)"
          if [[ " ${functions[*]} " == *" ${module} "* && "${module}" != "${name}" ]]; then continue; fi
          ;;
      esac
      mkdir -p "${stage}/$(dirname "${file}")"
      cp "${src_dir}/${file}" "${stage}/${file}"
    done
done

# The canary's script (terraform/canary.tf): Synthetics' Python runtimes load it from python/ in the ZIP.
mkdir -p "${work_dir}/canary/python"
cp "${repo_root}/scripts/ops/product_canary.py" "${work_dir}/canary/python/product_canary.py"

echo "==> zipping into ${output_dir}"
"${python}" - "${work_dir}" "${output_dir}" "${functions[@]}" <<'PY'
"""Write reproducible ZIPs: sorted entries, fixed timestamps and permissions, no directory entries."""
import os
import sys
import zipfile

work_dir, output_dir, *functions = sys.argv[1:]
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def write_zip(source_dir: str, target: str) -> None:
    paths = []
    for root, dirs, files in os.walk(source_dir):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        paths.extend(os.path.join(root, f) for f in files if not f.endswith((".pyc", ".pyo")))
    entries = sorted(os.path.relpath(p, source_dir).replace(os.sep, "/") for p in paths)
    tmp = target + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if os.access(os.path.join(source_dir, entry), os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.create_system = 3
            with open(os.path.join(source_dir, entry), "rb") as handle:
                archive.writestr(info, handle.read(), compresslevel=9)
    os.replace(tmp, target)
    print(f"    {os.path.basename(target):28s} {os.path.getsize(target):>10,d} bytes  {len(entries):>5d} files")


write_zip(os.path.join(work_dir, "layer"), os.path.join(output_dir, "dependencies-layer.zip"))
for name in functions:
    write_zip(os.path.join(work_dir, "functions", name), os.path.join(output_dir, f"{name}.zip"))
write_zip(os.path.join(work_dir, "canary"), os.path.join(output_dir, "canary.zip"))
PY
