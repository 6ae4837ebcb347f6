"""kernels/jit.py: Numba loads on first use, never at `import convprop`, and
CONVPROP_JIT=0 turns the compiled kernels off."""

import os
import subprocess
import sys
import threading

import pytest

from convprop.kernels import jit


def test_import_convprop_does_not_import_numba():
    code = "import sys, convprop; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_convprop_jit_0_turns_the_compiled_kernels_off(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.setenv("CONVPROP_JIT", "0")
    assert not jit.enabled()
    monkeypatch.setenv("CONVPROP_JIT", "1")
    assert jit.enabled()


def test_lazy_imports_its_module_on_the_first_call_only(monkeypatch):
    loaded = []
    real = jit.load

    def counting(module):
        loaded.append(module)
        return real(module)

    monkeypatch.setattr(jit, "load", counting)
    shape = jit.lazy("layout", "pool_layouts")
    assert loaded == [] and shape.__name__ == "pool_layouts"
    from convprop.kernels.layout import pool_layouts

    assert shape(2) == pool_layouts(2) and shape(3) == pool_layouts(3)
    assert loaded == ["layout"]


def test_numba_runs_its_loops_on_the_workqueue_pool_unless_the_user_chose_one():
    code = (
        "import numpy as np, numba; from convprop import kernels as K; "
        "K.max_pool2d(np.ones((1, 1, 4, 4)), 2); print(numba.threading_layer())"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "NUMBA_THREADING_LAYER"}
    env["CONVPROP_JIT"] = "1"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.stdout.strip() == "workqueue", run.stderr[-2000:]
    env["NUMBA_THREADING_LAYER"] = "omp"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.stdout.strip() == "omp", run.stderr[-2000:]


def test_threads_running_compiled_kernels_at_once_take_turns_and_get_exact_results(monkeypatch):
    """workqueue aborts the process on two parallel loops at once: jit's lock serialises."""
    pytest.importorskip("numba")
    monkeypatch.setenv("CONVPROP_JIT", "1")  # also where CI runs the kernels with it off
    import threading

    import numpy as np

    from convprop import kernels as K

    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 64, 20, 20)).astype(np.float32)
    w = rng.standard_normal((64, 1, 3, 3)).astype(np.float32)
    want = K.conv2d(x, w, groups=64, algorithm="numba")
    results, errors = [], []

    def work():
        try:
            for _ in range(20):
                results.append(K.conv2d(x, w, groups=64, algorithm="numba"))
                K.max_pool2d(x, 2)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 80
    assert all(np.array_equal(r, want) for r in results)


def test_the_first_compile_is_announced_once_and_a_cached_run_says_nothing(tmp_path):
    pytest.importorskip("numba")
    code = (
        "import numpy as np\n"
        "from convprop.kernels import jit\n"
        "jit.announce_compiling(lambda notice: print('NOTICE', notice))\n"
        "relu = jit.lazy('fused', 'relu')\n"
        "relu(np.ones(3, np.float32)); relu(np.ones(3))  # two compilations, one notice\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    assert runs[0].stdout.splitlines() == [f"NOTICE {jit.NOTICE}"]
    assert runs[1].stdout == ""  # both kernels came from the cache


def test_the_compile_listener_ignores_functions_without_a_module(monkeypatch):
    said = []
    monkeypatch.setattr(jit, "_announcers", [said.append])
    monkeypatch.setattr(jit, "_announced", threading.Event())

    def made_by_exec():
        pass

    made_by_exec.__module__ = None  # as functions built by exec() have
    event = type("Event", (), {"data": {"dispatcher": type("D", (), {"py_func": made_by_exec})}})
    jit._first_compile(event)
    assert said == []
    made_by_exec.__module__ = "convprop.kernels.fused"
    jit._first_compile(event)
    assert said == [jit.NOTICE]
