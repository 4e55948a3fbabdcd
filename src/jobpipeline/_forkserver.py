"""Imported by one process only: the forkserver of the reader pool (`pipeline.ReaderPool` preloads it).

There it ignores SIGTERM (it ignores SIGINT already), like the readers it forks. A `kill` to the run's
process group would otherwise end it at once, and the pool reads the forkserver's end of each reader's
status socket as that reader's death: every batch in flight failed as BrokenProcessPool (logged by
Prefect with a traceback) before the run itself could stop them. It still cannot outlive the run: it
exits when the run and every reader have closed their end of its `alive` pipe (jobpipeline.interrupts).

Each reader it forks starts through `reader_main` (below), not the standard library's `spawn._main`.
"""

import signal
import sys
from multiprocessing import spawn

signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a closed terminal: the run decides

_spawn_main = spawn._main


def reader_main(fd: int, parent_sentinel: int) -> int:
    """`spawn._main` for a reader forked from here, closing two windows of its start-up:

    - the forkserver gives the child the default SIGINT handler back before it unpickles its process
      object, and the reader ignores SIGINT only once the pool's initializer runs: a Ctrl-C to the
      run's process group in between raised KeyboardInterrupt in the half-started reader. It ignores
      SIGINT from the start here;
    - a reader started just as the run stopped its pool finds the pool's semaphores unlinked when it
      unpickles its queues, and printed a FileNotFoundError traceback under the run's last line
      (tests/test_signals.py caught it under load). Nobody waits for such a reader: it exits quietly.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return _spawn_main(fd, parent_sentinel)
    except FileNotFoundError:
        frames = []
        trace = sys.exc_info()[2]
        while trace is not None:
            frames.append(trace.tb_frame.f_code.co_filename)
            trace = trace.tb_next
        if frames and frames[-1].endswith(("multiprocessing/synchronize.py", "multiprocessing\\synchronize.py")):
            return 1
        raise


# The forkserver's `_serve_one` looks `spawn._main` up at each fork: in this process (and the readers it
# forks) it is `reader_main`. Nothing else imports this module.
spawn._main = reader_main
