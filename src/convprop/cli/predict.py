"""`convprop predict`, `convprop saliency` and `convprop export`: a checkpoint applied to
images the user brings, under the input contract the checkpoint records."""

from __future__ import annotations

import argparse

import numpy as np

from ..data.contract import checkpoint_contract
from ..train import model_inputs, predict, restore


def run_predict(args: argparse.Namespace) -> int:
    model, meta = restore(args.checkpoint)
    images = model_inputs(args.images, checkpoint_contract(meta["config"]))
    classes, probabilities = predict(model, images)
    for path, c, p in zip(args.images, classes, probabilities, strict=True):
        print(f"{path}: {c} (p={p[c]:.3f})")
    return 0


def run_saliency(args: argparse.Namespace) -> int:
    """|dL/dX| of each image for the model's prediction; --plot draws image and map."""
    from ..saliency import saliency_maps, without_signal

    model, meta = restore(args.checkpoint)
    images = model_inputs(args.images, checkpoint_contract(meta["config"]))
    maps, classes, probabilities = saliency_maps(model, images)
    reasons = without_signal(maps, probabilities, classes)
    for path, c, p, m, why in zip(args.images, classes, probabilities, maps, reasons, strict=True):
        r, col = np.unravel_index(int(m.argmax()), m.shape)
        found = f"largest |dL/dX| {m.max():.3g} at ({r}, {col})"
        if why is not None:  # rounding noise is not a map of the image
            found = f"no signal ({why}); {found} is rounding"
        print(f"{path}: predicted {c} (p={p[c]:.3f}); {found}")
    if args.plot:
        from ..explain.plots import save
        from ..report.figures import saliency

        print(f"plot: {save(saliency(model, images, names=args.images), args.plot)}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """convprop export CHECKPOINT --onnx OUT.onnx: the model with the checkpoint's input
    normalisation as Sub and Div nodes in front, so it takes the same raw pixels as
    `convprop predict`; the contract is written into the model's metadata too."""
    from ..formats.onnx import export

    model, meta = restore(args.checkpoint)
    config = meta["config"]
    contract = checkpoint_contract(config)
    size, channels = config["image_size"], config["in_channels"]
    example = np.zeros((1, channels, size, size), dtype=np.float32)
    metadata = {
        "convprop.input": contract.describe(),
        "convprop.pixel_range": contract.range_text(),
        "convprop.polarity": contract.polarity,
        "convprop.dataset": str(config.get("dataset")),
    }
    path = export(
        model, example, args.onnx, opset=args.opset, normalise=contract.affine(), metadata=metadata
    )
    print(
        f"wrote {path} ({config['model']}, input (N, {channels}, {size}, {size}): raw pixels in "
        f"{contract.range_text()}, normalised inside the model)"
    )
    return 0
