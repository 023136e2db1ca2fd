# Sourced by the GPU scripts: sets KEVC to the static binary bench/gpu/kevc-static.xz (unpacked once to /tmp/kevc),
# else to `kevc` on PATH, and points kevc and the harness at the repository's python/ folder.
if [ -f bench/gpu/kevc-static.xz ]; then
  [ -x /tmp/kevc ] || { xz -dc bench/gpu/kevc-static.xz > /tmp/kevc && chmod +x /tmp/kevc; }
  KEVC=/tmp/kevc
else
  KEVC=$(command -v kevc) || { echo "no kevc binary" >&2; exit 1; }
fi
export PYTHONPATH="$PWD/python" KEVC_PYTHON_DIR="$PWD/python"
