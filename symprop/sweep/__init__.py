"""Sweeps of many trainings on Dask: from one laptop (an embedded LocalCluster) to a cluster.

```python
from symprop.sweep import run_sweep
result = run_sweep(net, "circle", grid={"lr": [0.1, 0.5], "hidden": [2, 4]}, seeds=range(5),
                   epochs=100, out="results.csv")
print(result.table()); result.plot("sweep.png")
```
"""

from .grid import parse_grid, parse_seeds
from .runner import SweepResult, run_sweep

__all__ = ["SweepResult", "parse_grid", "parse_seeds", "run_sweep"]
