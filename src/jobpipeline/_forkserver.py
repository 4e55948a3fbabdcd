"""Imported by one process only: the forkserver of the reader pool (`pipeline.ReaderPool` preloads it).

There it ignores SIGTERM (it ignores SIGINT already), like the readers it forks. A `kill` to the run's
process group would otherwise end it at once, and the pool reads the forkserver's end of each reader's
status socket as that reader's death: every batch in flight failed as BrokenProcessPool (logged by
Prefect with a traceback) before the run itself could stop them. It still cannot outlive the run: it
exits when the run and every reader have closed their end of its `alive` pipe (jobpipeline.interrupts).
"""

import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)
