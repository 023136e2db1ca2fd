#!/usr/bin/env python3
"""summary.py FILE...: the table of ab.sh rounds (medians of before and after, of their ratios, rounds faster after)."""
import re,sys,statistics as st
rows={}
for f in sys.argv[1:]:
    for l in open(f):
        m=re.match(r'round \d+: (\S+) before ([\d.]+)(ms|us) after ([\d.]+)(ms|us)',l)
        if not m: continue
        op=m.group(1); b=float(m.group(2))*(1000 if m.group(3)=='ms' else 1); a=float(m.group(4))*(1000 if m.group(5)=='ms' else 1)
        rows.setdefault(op,[]).append((b,a))
print("| problem | rounds | before median ms | after median ms | after/before (median of rounds) | rounds faster after |")
print("|---|---|---|---|---|---|")
for op,v in rows.items():
    print("| %s | %d | %.3f | %.3f | %.2f | %d of %d |"%(op,len(v),st.median(b for b,a in v)/1000,st.median(a for b,a in v)/1000,st.median(a/b for b,a in v),sum(a<b for b,a in v),len(v)))
