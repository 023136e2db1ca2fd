"""The devices an evaluation can run on, and how much memory each has.

`visible()` lists the CUDA devices this process sees (`CUDA_VISIBLE_DEVICES` applies) with their name, total memory
and UUID ("GPU-...", the identity that survives renumbering by `CUDA_VISIBLE_DEVICES`; "simulated-N" for a
simulated device, "cpu" for the CPU): each evaluation's worker_report names the device it ran on by them.
Without a GPU, `$KEVC_SIMULATED_DEVICES=N` lists N simulated devices on the CPU (each with the host's memory, or
`$KEVC_SIMULATED_DEVICE_MEMORY` bytes), so that multi-device scheduling is tested without GPUs; with
`$KEVC_GPU_DEVICE=cpu` and no simulation, the CPU is one device. A search runs one worker pool per listed device,
each worker of a pool seeing only its device (`CUDA_VISIBLE_DEVICES=<index>`) and taking that device's lock.
"""

import os


def _host_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def visible():
    simulated = os.environ.get("KEVC_SIMULATED_DEVICES")
    if simulated:
        n = max(1, int(simulated))
        memory = int(os.environ.get("KEVC_SIMULATED_DEVICE_MEMORY") or _host_memory())
        return [{"index": i, "name": "simulated cpu %d" % i, "total_bytes": memory, "uuid": "simulated-%d" % i}
                for i in range(n)]
    if os.environ.get("KEVC_GPU_DEVICE") == "cpu":
        return [{"index": 0, "name": "cpu", "total_bytes": _host_memory(), "uuid": "cpu"}]
    import torch
    if not torch.cuda.is_available():
        return []
    out = []
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        out.append({"index": i, "name": p.name, "total_bytes": int(p.total_memory), "uuid": uuid(p)})
    return out


def uuid(props):
    """The device's UUID as nvidia-smi writes it ("GPU-..."), from torch's device properties; None when this torch
    does not report one."""
    u = getattr(props, "uuid", None)
    if u is None:
        return None
    text = str(u)
    return text if text.startswith("GPU-") else "GPU-" + text
