"""A light start: `import convprop` loads no heavy optional module (timings live in benchmarks/)."""

import subprocess
import sys

HEAVY = ("scipy.fft", "torch", "tqdm", "sklearn", "matplotlib")


def test_import_loads_no_heavy_module():
    code = f"import sys, convprop; print([m for m in {HEAVY!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_fft_still_works_after_lazy_import():
    code = (
        "import numpy as np, sys, convprop\n"
        "x, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))\n"
        "y = convprop.kernels.conv2d(x, w, algorithm='fft')\n"
        "print(float(y.sum()), 'scipy.fft' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["81.0", "True"]
