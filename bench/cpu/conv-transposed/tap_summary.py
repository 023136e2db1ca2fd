"""tap_summary.py FILE...: medians of tap_ab.sh's rounds per problem (off, on) and the median of the per-round ratios
on / off (each round's two runs are adjacent in time, so the ratio is the steadier figure on a loaded machine)."""
import re
import statistics
import sys

UNITS = {"ms": 1.0, "us": 1e-3, "s": 1e3}
rows = {}
for path in sys.argv[1:]:
    for line in open(path):
        m = re.match(r"round \d+: (\S+) off ([\d.]+)(ms|us|s) on ([\d.]+)(ms|us|s)", line)
        if m:
            off = float(m.group(2)) * UNITS[m.group(3)]
            on = float(m.group(4)) * UNITS[m.group(5)]
            rows.setdefault(m.group(1), []).append((off, on))
print("| problem | rounds | off median ms | on median ms | on/off (median of rounds) | rounds faster on |")
print("|---|---|---|---|---|---|")
for name, pairs in rows.items():
    offs = [p[0] for p in pairs]
    ons = [p[1] for p in pairs]
    ratio = statistics.median(on / off for off, on in pairs)
    faster = sum(1 for off, on in pairs if on < off)
    print(f"| {name} | {len(pairs)} | {statistics.median(offs):.3f} | {statistics.median(ons):.3f} | {ratio:.2f} | "
          f"{faster} of {len(pairs)} |")
