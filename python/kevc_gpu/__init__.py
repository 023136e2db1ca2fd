"""kevc GPU support: the evaluation harness (python -m kevc_gpu) and ahead-of-time Triton helpers."""
