"""ONNX's two outside oracles for single-node models: the reference evaluator and
onnxruntime, each returning None where it fails or refuses (the tests then compare with the
other, or require convprop to refuse)."""

import warnings

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
from onnx.reference import ReferenceEvaluator  # noqa: E402

ort.set_default_logger_severity(4)


def reference(model, x, name="x"):
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return ReferenceEvaluator(model).run(None, {name: x})[0]
    except Exception:  # the reference fails on some legal attributes
        return None


def onnxruntime(model, x, name="x"):
    try:
        session = ort.InferenceSession(
            model.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        return session.run(None, {name: x})[0]
    except Exception:  # onnxruntime refuses a pad >= kernel, a reflect pad >= the axis...
        return None
