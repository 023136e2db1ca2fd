# Sourced by the GPU scripts (targets-check.sh, cute-check.sh, cute-mma-check.sh): makes the CuTe DSL importable on a machine without a
# package index. $KEVC_CUTE_SITE is a folder of the unpacked wheels (nvidia-cutlass-dsl, -libs-base, -libs-core,
# -libs-cu13 4.8.1, cp312 manylinux_2_28); or $KEVC_CUTE_PARTS holds the parts cute-site.part-* of those wheels as
# one tar.xz (`tar cf - -C folder . | xz -9`, `split -b 33100000`: each part fits one transfer beside the rest),
# joined and unpacked once to /tmp/kevc-cute-site. The DSL adds its own path through a .pth file, which plain
# PYTHONPATH ignores: a sitecustomize calls site.addsitedir on the folder. Prepends to PYTHONPATH.
if [ -z "${KEVC_CUTE_SITE:-}" ] && [ -n "${KEVC_CUTE_PARTS:-}" ]; then
  export KEVC_CUTE_SITE=/tmp/kevc-cute-site
  if [ ! -d "$KEVC_CUTE_SITE/nvidia_cutlass_dsl" ]; then
    mkdir -p "$KEVC_CUTE_SITE"
    cat "$KEVC_CUTE_PARTS"/cute-site.part-* | xz -dc | tar xf - -C "$KEVC_CUTE_SITE" || echo "cannot unpack the CuTe DSL wheels" >&2
  fi
fi
if [ -n "${KEVC_CUTE_SITE:-}" ]; then
  mkdir -p /tmp/kevc-cute-sitecustomize
  # The folder is written into the file, not read from the environment: the harness starts its workers with an
  # allow-listed environment (PYTHONPATH passes, KEVC_CUTE_SITE does not).
  printf 'import site\nsite.addsitedir(%s)\n' "$(python3 -c 'import json, os; print(json.dumps(os.environ["KEVC_CUTE_SITE"]))')" \
    > /tmp/kevc-cute-sitecustomize/sitecustomize.py
  export PYTHONPATH="/tmp/kevc-cute-sitecustomize${PYTHONPATH:+:$PYTHONPATH}"
fi
# The machine's GPU, driver, torch, Triton and CuTe DSL versions (machine.txt of the CuTe scripts).
kevc_cute_machine() {
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__)"
  python3 -c "import cutlass, cutlass.cute; print('cutlass-dsl', getattr(cutlass, '__version__', '?'))"
}
