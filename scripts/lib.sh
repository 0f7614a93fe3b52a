# Shared setup steps for scripts/run and scripts/test. Each step is idempotent and
# skips itself when its inputs have not changed since the last run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

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

ensure_venv() {  # $1 = requirements file
  local req="$1" stamp="$VENV/.qifu-requirements"
  if [ ! -x "$PY" ]; then
    say "creating virtual environment with $(find_python)"
    "$(find_python)" -m venv "$VENV"
  fi
  local want; want="$(hash_of "$req" requirements.txt)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing Python dependencies ($req)"
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$PY" -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
  fi
}

ensure_frontend() {
  if ! command -v npm >/dev/null 2>&1; then
    say "npm not found: skipping the front-end build (the API still works; pages need Node 20+)"
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
