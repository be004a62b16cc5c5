"""The floor: the interruption controller (the single sink for caller signals and the only one who decides who
speaks), caller overlap, playout and inactivity."""
