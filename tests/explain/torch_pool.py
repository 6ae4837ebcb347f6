"""PyTorch's autograd as the oracle of the pool stories: where one output's gradient goes."""

import numpy as np
import torch


def torch_route(story, i, j) -> np.ndarray:
    """dY[i, j]/dX for the story's pooling, by torch's autograd: an input-shaped array."""
    s = story.setup
    x = torch.tensor(story.x[None, None], requires_grad=True)
    if s.kind == "max":
        y = torch.nn.functional.max_pool2d(
            x, s.kernel, s.stride, s.padding, s.dilation, ceil_mode=s.ceil_mode
        )
    else:
        y = torch.nn.functional.avg_pool2d(
            x, s.kernel, s.stride, s.padding, s.ceil_mode, s.count_include_pad
        )
    y[0, 0, i, j].backward()
    return x.grad[0, 0].numpy()
