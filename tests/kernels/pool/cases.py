"""Shared by the pooling tests: the course's example and the grid of window geometries."""

import itertools

import numpy as np

from convprop.shapes import pool2d_geometry

# The course's slide: 2x2 windows (1,1,5,6), (2,4,7,8), (3,2,1,2), (1,0,3,4).
COURSE_X = np.array(
    [
        [1, 1, 2, 4],
        [5, 6, 7, 8],
        [3, 2, 1, 0],
        [1, 2, 3, 4],
    ],
    dtype=np.float64,
)[None, None]


POOL_GRID = [
    c
    for c in itertools.product(
        [1, 2, 3, 5], [None, 1, 2, 3], [0, 1], [1, 2], [False, True], [(5, 7), (6, 6), (1, 2)]
    )
    if 2 * c[2] <= c[0]
]


def valid_pool(k, s, p, d, ceil, size):
    try:
        pool2d_geometry("t", (2, 3, *size), k, s, p, d, ceil)
    except ValueError:
        return False
    return True
