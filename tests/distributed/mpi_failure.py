"""Run under mpirun -np 2: rank 1 raises while rank 0 waits in a collective; the job must
end (the abort hook), not hang."""

import numpy as np

from convprop import distributed

rank, size = distributed.init()
if rank == 1:
    raise RuntimeError("deliberate failure on rank 1")
distributed.world().allreduce_sum(np.zeros(3))  # would wait forever for rank 1
