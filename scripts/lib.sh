# Shared setup steps for scripts/run and scripts/test. Each step is idempotent and
# skips itself when its inputs have not changed since the last run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
fail() { printf '\033[1;31m==> FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

# CI=true (set by .ci/run): a missing piece of the test infrastructure fails the run instead of
# being skipped with a note.
in_ci() { case "${CI:-}" in true|1|yes) return 0 ;; *) return 1 ;; esac; }
missing() {  # $1 = what is missing and what is skipped because of it
  if in_ci; then fail "$1 (CI=true: nothing may be skipped)"; fi
  say "$1: skipped (with CI=true this fails the run)"
}

find_python() {
  for candidate in "${QIFU_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  echo "需要 Python 3.11 或更高版本（可用 QIFU_PYTHON 指定解释器）" >&2
  return 1
}

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

# A requirements file and every file it pulls in with "-r" (requirements-dev.txt includes requirements.txt).
requirement_files() {  # $1 = requirements file; prints paths relative to the repository root
  local file="${1#./}" dir included
  dir="$(dirname "$file")"
  echo "$file"
  while read -r included; do
    [ -n "$included" ] || continue
    if [ "$dir" = "." ]; then requirement_files "$included"; else requirement_files "$dir/$included"; fi
  done < <(sed -n 's/^-r[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$file")
}

# One stamp per requirements file, holding the hash of the file and of what it includes. A file is
# satisfied by its own stamp or by the stamp of any file that includes it, so `./scripts/run`
# (requirements.txt) after `./scripts/test` (requirements-dev.txt, a superset) installs nothing.
requirements_satisfied() {  # $1 = requirements file
  local want="${1#./}" stamp file files
  for stamp in "$VENV"/.qifu-stamp-*; do
    [ -f "$stamp" ] || continue
    file="${stamp##*/.qifu-stamp-}"
    [ -f "$file" ] || continue
    files="$(requirement_files "$file")"
    grep -qxF -- "$want" <<<"$files" || continue
    # shellcheck disable=SC2086  # the file names are ours and have no spaces
    [ "$(cat "$stamp")" = "$(hash_of $files)" ] && return 0
  done
  return 1
}

ensure_venv() {  # $1 = requirements file (relative to the repository root)
  local req="$1"
  if [ ! -x "$PY" ]; then
    say "creating virtual environment with $(find_python)"
    "$(find_python)" -m venv "$VENV"
    # The bundled pip is upgraded once, when the environment is made — not on every install.
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
  fi
  if ! requirements_satisfied "$req"; then
    say "installing Python dependencies ($req)"
    "$PY" -m pip install --quiet --disable-pip-version-check -r "$req"
    # shellcheck disable=SC2046
    hash_of $(requirement_files "$req") > "$VENV/.qifu-stamp-${req#./}"
  fi
  rm -f "$VENV/.qifu-requirements"  # the single stamp of earlier versions
}

ensure_frontend() {
  if ! command -v npm >/dev/null 2>&1; then
    missing "npm not found: no front-end build (the API still works; pages and browser tests need Node 20+)"
    return 0
  fi
  local stamp="frontend/node_modules/.qifu-lock"
  local want; want="$(hash_of frontend/package-lock.json)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing front-end packages (npm ci)"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
  local built="frontend/dist/.qifu-build"
  local src; src="$(find frontend/src frontend/*.html frontend/vite.config.* frontend/package-lock.json openapi.json -type f 2>/dev/null | sort | xargs cat | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$built" 2>/dev/null)" != "$src" ]; then
    say "building the front end"
    (cd frontend && npm run build --silent)
    echo "$src" > "$built"
  fi
}
