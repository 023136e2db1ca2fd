#!/usr/bin/env python3
"""Before/after timing of rule 1c (an elementwise definition's short rows fused with the axis outside them) on the
CPU: one kevc binary, alternated runs.

Each problem is timed with the default schedule (after: rule 1c) and with the trace the default schedule was before
rule 1c (`fused-parallel-rows-before/<op>.json`, written by `kevc opt SPEC --shape S --default-schedule llvm
--emit-trace-json` on main bf3957c), in alternation (the order flips every round), `--rounds` times, one thread,
`kevc run --trials 0`. The binary is the same for both, so the schedule is the only difference. Writes OUT.json with
every run and the medians; bench/kernelbench/cpu-results-fused-parallel-rows.md quotes them.

Usage: python3 bench/kernelbench/fused_parallel_rows_ab.py OUT --kevc K [--rounds 7] [--iterations 50]
"""
import os

from fused_rows_ab import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEFORE = os.path.join(ROOT, "bench", "kernelbench", "fused-parallel-rows-before")
# The KernelBench problems whose default CPU schedule rule 1c changes at the CPU bench shapes of run.py (its shape
# rule; the shapes of cpu-results-2026-12-07-h50.md), the elementwise spec over short rows it was made for, and
# conv2d_relu_bias_add's epilogue alone (relu_bias_rows: cheap per element, rows of 30), and KernelBench's gelu_tanh
# at a shape of short rows (not its bench shape, whose rows are 8192 long).
PROBLEMS = {
    "conv2d_relu_bias_add": ("specs/kernelbench/conv2d_relu_bias_add.kev", "N=16,C=16,H=16,W=32,F=32,K=3"),
    "gelu_rows": ("bench/cpu/fused-row-axes/gelu_rows.kev", None),
    "relu_bias_rows": ("bench/cpu/fused-row-axes/relu_bias_rows.kev", None),
    "gelu_tanh_rows": ("specs/kernelbench/gelu_tanh.kev", "B=16384,D=30"),
}


if __name__ == "__main__":
    main(PROBLEMS, BEFORE, rounds=7)
