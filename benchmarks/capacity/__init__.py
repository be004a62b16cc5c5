"""The capacity benchmark: how many real-time sessions one machine sustains (``python -m pipeline bench capacity``).

Modules: ``conversation`` (the espeak-ng caller loop), ``call`` (one session driven like a transport), ``lag`` (the
frame-lag definition and histogram), ``worker`` (one process of a step), ``ramp`` (steps of growing size),
``report`` (aggregation, verdicts, table and JSON), ``cli`` (the command).
"""
