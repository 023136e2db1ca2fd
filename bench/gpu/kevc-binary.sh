# Sourced by the GPU scripts: keeps KEVC when it is set, else sets it to the static binary bench/gpu/kevc-static.xz
# (unpacked once to /tmp/kevc), else to `kevc` on PATH, and points kevc and the harness at the repository's python/
# folder.
if [ -n "${KEVC:-}" ]; then
  [ -x "$KEVC" ] || { echo "KEVC=$KEVC is not an executable" >&2; exit 1; }
elif [ -f bench/gpu/kevc-static.xz ]; then
  [ -x /tmp/kevc ] || { xz -dc bench/gpu/kevc-static.xz > /tmp/kevc && chmod +x /tmp/kevc; }
  KEVC=/tmp/kevc
else
  KEVC=$(command -v kevc) || { echo "no kevc binary" >&2; exit 1; }
fi
# Prepends (a CuTe DSL sitecustomize, bench/gpu/cute-site.sh, may already be on it).
export PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}" KEVC_PYTHON_DIR="$PWD/python"
