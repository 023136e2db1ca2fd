"""Makes `kevc_gpu` importable when pytest runs from the repository root or python/."""
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
