"""Batch normalisation (training mode) as a differentiable op."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..kernels import jit

_forward = jit.lazy("batch_norm", "forward")  # a few passes per channel (kernels/batch_norm.py)
_backward = jit.lazy("batch_norm", "backward")


class BatchNorm(Function):
    """Batch normalisation over every axis but the channels (axis 1), training mode."""

    def forward(
        self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float
    ) -> np.ndarray:
        axes = (0, *range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        self.gamma, self.axes, self.shape = gamma, axes, shape
        self.compiled = gamma.dtype == beta.dtype == x.dtype and jit.runs(x.dtype)
        if self.compiled:  # the same formulas, statistics summed in float64
            y, self.x_hat, self.mean, self.var, self.inv_std = _forward(x, gamma, beta, eps)
            return y
        self.mean = x.mean(axis=axes)
        self.var = x.var(axis=axes)  # biased, as used for normalising
        self.inv_std = 1 / np.sqrt(self.var + eps)
        self.x_hat = (x - self.mean.reshape(shape)) * self.inv_std.reshape(shape)
        return self.x_hat * gamma.reshape(shape) + beta.reshape(shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # dx = gamma/sigma * (g - mean(g) - x_hat * mean(g * x_hat))
        # dgamma = sum g * x_hat;  dbeta = sum g
        if self.compiled and g.dtype == self.x_hat.dtype:
            grad_x, grad_gamma, grad_beta = _backward(g, self.x_hat, self.gamma, self.inv_std)
            return grad_x, grad_gamma, grad_beta
        g_gamma = (g * self.x_hat).sum(axis=self.axes)
        g_beta = g.sum(axis=self.axes)
        count = g.size // g.shape[1]
        gx = (self.gamma * self.inv_std).reshape(self.shape) * (
            g
            - (g_beta / count).reshape(self.shape)
            - self.x_hat * (g_gamma / count).reshape(self.shape)
        )
        return gx.astype(g.dtype, copy=False), g_gamma, g_beta
