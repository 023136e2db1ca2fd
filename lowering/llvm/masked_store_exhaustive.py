#!/usr/bin/env python3
"""Exhaustive check of LLVM 22's x86 masked (truncating) stores, the evidence behind Sources/KevcLLVM/MaskedStores.swift.

Generates one module of functions `f<i>(src, dst)`: load a vector, truncate it (i64/i32/i16 to narrower integers,
f64 to f32, f32 to f16; or not at all), `llvm.masked.store` it under a constant mask (every one-lane mask, every
prefix, alternating lanes; 2 to 32 lanes), and a `main` that runs each against a byte-exact reference (scalar stores
of the enabled lanes into a 0xAA-filled buffer) and prints `FAIL case <i>` per difference. Compiled with
`llc-22 -O3 -mcpu=CPU [-mattr=FEATURES]`, linked with gcc and run, per configuration given:

  python3 lowering/llvm/masked_store_exhaustive.py OUTDIR "v3 x86-64-v3" "host emeraldrapids" \
      "nobw emeraldrapids -avx512bw" "fdq x86-64-v3 +avx512f,+avx512dq"

On this repository's development VM (branch h64): x86-64-v3 0 of 1298 wrong; emeraldrapids 154 (every one-lane
mask of a truncating integer store); -avx512bw 14; -avx512vl 88; -avx512bw,-avx512vl 8; AVX-512F+DQ on x86-64-v3 8.
"""
import os
import subprocess
import sys
cases = []
ints = [(32, 16), (32, 8), (64, 32), (64, 16), (64, 8), (16, 8), (16, 16), (8, 8), (32, 32)]
floats = [("float", "half", 32, 16), ("double", "float", 64, 32)]
lines = ["declare i32 @printf(ptr, ...)", "declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)",
         '@fmt = private constant [14 x i8] c"FAIL case %d\\0A\\00"',
         '@done = private constant [17 x i8] c"cases %d bad %d\\0A\\00"']
checks = []
idx = 0
def masks(n):
    out = set()
    for k in range(1, n):
        out.add(tuple(i < k for i in range(n)))
    for j in range(n):
        out.add(tuple(i == j for i in range(n)))
    out.add(tuple(i % 2 == 0 for i in range(n)))
    return sorted(out)
for n in [2, 4, 8, 16, 32]:
    for kind in ints + floats:
        for m in masks(n):
            if isinstance(kind[0], int):
                s, d = kind
                st, dt = f"i{s}", f"i{d}"
                conv = None if s == d else "trunc"
                db = d // 8
                sb = s // 8
            else:
                st, dt, s, d = kind
                conv = "fptrunc"
                db = d // 8
                sb = s // 8
            vs, vd = f"<{n} x {st}>", f"<{n} x {dt}>"
            mask = "<" + ", ".join(f"i1 {'true' if b else 'false'}" for b in m) + ">"
            name = f"f{idx}"
            body = [f"define void @{name}(ptr %src, ptr %dst) noinline {{", f"  %v = load {vs}, ptr %src, align 1"]
            if conv:
                body.append(f"  %t = {conv} {vs} %v to {vd}")
            else:
                body.append(f"  %t = add {vd} %v, zeroinitializer")
            body.append(f"  call void @llvm.masked.store.v{n}{'i'+str(d) if isinstance(kind[0], int) else {'half':'f16','bfloat':'bf16','float':'f32'}[dt]}.p0({vd} %t, ptr align {db} %dst, <{n} x i1> {mask})")
            body += ["  ret void", "}"]
            lines += body
            cases.append((idx, name, n, st, dt, s, d, m, db, sb, conv))
            idx += 1
# main: source = bytes i*7+3 (so values are distinct), destination 4096 bytes of 0xAA; expected computed by a
# reference: do an unmasked conversion into a scratch with a plain (non-masked) store, then compare lane by lane.
lines.append("define i32 @main() {")
lines.append("  %src = alloca [512 x i8], align 64")
lines.append("  %dst = alloca [1024 x i8], align 64")
lines.append("  %ref = alloca [1024 x i8], align 64")
lines.append("  br label %init")
lines.append("init:")
lines.append("  %i = phi i64 [0, %0], [%i1, %init]")
lines.append("  %p = getelementptr i8, ptr %src, i64 %i")
lines.append("  %ib = trunc i64 %i to i8")
lines.append("  %vb = mul i8 %ib, 7")
lines.append("  %vb2 = add i8 %vb, 3")
lines.append("  %vb3 = and i8 %vb2, 63")  # keep floats small/finite-ish
lines.append("  store i8 %vb3, ptr %p")
lines.append("  %i1 = add i64 %i, 1")
lines.append("  %c = icmp eq i64 %i1, 512")
lines.append("  br i1 %c, label %run, label %init")
lines.append("run:")
prev = "run"
lines.append("  %bad0 = add i32 0, 0")
bad = "%bad0"
for (idx, name, n, st, dt, s, d, m, db, sb, conv) in cases:
    vs, vd = f"<{n} x {st}>", f"<{n} x {dt}>"
    L = f"c{idx}"
    lines.append(f"  call void @llvm.memset.p0.i64(ptr %dst, i8 -86, i64 1024, i1 false)")
    lines.append(f"  call void @llvm.memset.p0.i64(ptr %ref, i8 -86, i64 1024, i1 false)")
    lines.append(f"  %{L}.dp = getelementptr i8, ptr %dst, i64 256")
    lines.append(f"  call void @{name}(ptr %src, ptr %{L}.dp)")
    # reference: scalar stores of enabled lanes
    lines.append(f"  %{L}.v = load {vs}, ptr %src, align 1")
    if conv:
        lines.append(f"  %{L}.t = {conv} {vs} %{L}.v to {vd}")
    else:
        lines.append(f"  %{L}.t = add {vd} %{L}.v, zeroinitializer")
    for j, b in enumerate(m):
        if b:
            lines.append(f"  %{L}.e{j} = extractelement {vd} %{L}.t, i32 {j}")
            lines.append(f"  %{L}.rp{j} = getelementptr i8, ptr %ref, i64 {256 + j * db}")
            lines.append(f"  store volatile {dt} %{L}.e{j}, ptr %{L}.rp{j}, align 1")
    lines.append(f"  %{L}.cmp = call i32 @memcmp(ptr %dst, ptr %ref, i64 1024)")
    lines.append(f"  %{L}.ne = icmp ne i32 %{L}.cmp, 0")
    lines.append(f"  br i1 %{L}.ne, label %{L}.fail, label %{L}.ok")
    lines.append(f"{L}.fail:")
    lines.append(f"  call i32 (ptr, ...) @printf(ptr @fmt, i32 {idx}, i32 0, i32 0)")
    lines.append(f"  br label %{L}.ok")
    lines.append(f"{L}.ok:")
    lines.append(f"  %{L}.b = zext i1 %{L}.ne to i32")
    lines.append(f"  %{L}.bad = add i32 {bad}, %{L}.b")
    bad = f"%{L}.bad"
lines.append(f"  call i32 (ptr, ...) @printf(ptr @done, i32 {len(cases)}, i32 {bad})")
lines.append("  ret i32 0")
lines.append("}")
lines.append("declare i32 @memcmp(ptr, ptr, i64)")
os.makedirs(sys.argv[1], exist_ok=True)
open(os.path.join(sys.argv[1], "all.ll"), "w").write("\n".join(lines) + "\n")
with open(os.path.join(sys.argv[1], "cases.txt"), "w") as f:
    for c in cases:
        f.write(f"{c[0]} n={c[2]} {c[3]}->{c[4]} mask={''.join('1' if b else '0' for b in c[7])}\n")


def run_configs(outdir, configs):
    for c in configs:
        tag, cpu, *attrs = c.split()
        obj, exe = os.path.join(outdir, tag + ".o"), os.path.join(outdir, tag)
        cmd = ["llc-22", "-O3", "-relocation-model=pic", "-filetype=obj", "-mcpu=" + cpu]
        if attrs:
            cmd.append("-mattr=" + attrs[0])
        subprocess.run(cmd + [os.path.join(outdir, "all.ll"), "-o", obj], check=True)
        subprocess.run(["gcc", obj, "-o", exe], check=True)
        out = subprocess.run([exe], capture_output=True, text=True).stdout
        print(tag, out.strip().splitlines()[-1])

run_configs(sys.argv[1], sys.argv[2:])
