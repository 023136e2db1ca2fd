"""The GPU's state, printed as one JSON line: utilisation, clocks, power and compute processes from nvidia-smi,
and two timed probes (a 1 GiB copy of random bytes, an 8192^3 bf16 matmul) with the bandwidth and throughput they
reach. Run before and after a benchmark (bench/gpu/run.sh, bench/search/gpu.sh): a GPU shared with another
process, clocked down or throttled shows up here instead of as unexplained times.

Usage: python3 bench/gpu/probe.py LABEL
"""
import json
import subprocess
import sys
import time


def smi(query):
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=" + query, "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        return dict(zip(query.split(","), [v.strip() for v in out.splitlines()[0].split(",")])) if out else {}
    except Exception as e:  # noqa: BLE001 - a probe reports, it never fails the run
        return {"error": repr(e)}


def processes():
    try:
        return subprocess.run(["nvidia-smi", "--query-compute-apps=pid,process_name,used_memory",
                               "--format=csv,noheader"], capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:  # noqa: BLE001
        return repr(e)


def median_ms(fn, calls=10):
    import torch
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(calls):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    times.sort()
    return times[len(times) // 2]


def main():
    label = sys.argv[1] if len(sys.argv) > 1 else "probe"
    state = {"probe": label, "time": time.strftime("%H:%M:%S"),
             "smi_idle": smi("utilization.gpu,utilization.memory,clocks.sm,clocks.mem,clocks.max.sm,power.draw,"
                             "temperature.gpu,clocks_throttle_reasons.active"),
             "other_processes": processes()}
    try:
        import torch
        n = 1 << 30
        src = torch.randint(0, 256, (n,), dtype=torch.uint8, device="cuda")
        dst = torch.empty_like(src)
        t = median_ms(lambda: dst.copy_(src))
        state["copy_1GiB_ms"] = round(t, 4)
        state["copy_TBps"] = round(2 * n / (t / 1e3) / 1e12, 3)
        del src, dst
        a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
        b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
        t = median_ms(lambda: a @ b, calls=5)
        state["matmul_bf16_8192_ms"] = round(t, 4)
        state["matmul_bf16_TFLOPs"] = round(2 * 8192 ** 3 / (t / 1e3) / 1e12, 1)
        state["smi_busy"] = smi("clocks.sm,clocks.mem,power.draw,clocks_throttle_reasons.active")
    except Exception as e:  # noqa: BLE001
        state["error"] = repr(e)[:300]
    print(json.dumps(state), flush=True)


if __name__ == "__main__":
    main()
