"""The per-machine family's layout table: one int64 row per layer, these columns.

One source for the generator (`family.py` renders them as the module's constants) and the
loader (`machine.NetworkKernels` fills a row in this order); light, so loading needs no SymPy.
"""

LAYOUT_COLUMNS = ("FAN_IN", "UNITS", "W_OFF", "B_OFF", "ACT", "ROW_OFF", "KEEP_Z",
                  "F_ADDR", "DF_ADDR", "LOSS_ADDR", "DLOSS_ADDR")
N_COLUMNS = len(LAYOUT_COLUMNS)
