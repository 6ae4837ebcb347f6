"""Batch normalisation (training mode) as a differentiable op."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function


class BatchNorm(Function):
    """Batch normalisation over every axis but the channels (axis 1), training mode."""

    def forward(
        self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float
    ) -> np.ndarray:
        axes = (0, *range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        self.mean = x.mean(axis=axes)
        self.var = x.var(axis=axes)  # biased, as used for normalising
        self.inv_std = 1 / np.sqrt(self.var + eps)
        self.x_hat = (x - self.mean.reshape(shape)) * self.inv_std.reshape(shape)
        self.gamma, self.axes, self.shape = gamma, axes, shape
        return self.x_hat * gamma.reshape(shape) + beta.reshape(shape)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # dx = gamma/sigma * (g - mean(g) - x_hat * mean(g * x_hat))
        # dgamma = sum g * x_hat;  dbeta = sum g
        g_gamma = (g * self.x_hat).sum(axis=self.axes)
        g_beta = g.sum(axis=self.axes)
        count = g.size // g.shape[1]
        gx = (self.gamma * self.inv_std).reshape(self.shape) * (
            g
            - (g_beta / count).reshape(self.shape)
            - self.x_hat * (g_gamma / count).reshape(self.shape)
        )
        return gx.astype(g.dtype, copy=False), g_gamma, g_beta
