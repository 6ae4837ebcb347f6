"""Files in and out: checkpoints (checkpoint.py), safetensors weights (safetensors.py) and
ONNX models (onnx/, export and load)."""
