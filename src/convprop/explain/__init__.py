"""The course's figures drawn from live numbers: `convprop explain conv|maxpool|avgpool|shape`.

Each explanation computes its numbers with the course's sums written as loops, prints
them step by step, and checks them against the library's kernels and a numerical
gradient; `plots.py` draws the same story (matplotlib, an optional extra).
"""
