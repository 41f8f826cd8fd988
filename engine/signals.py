"""How training stops on SIGINT or SIGTERM: after the current step, with a checkpoint.

`StopSignals` notes the signal while the loop runs; the loop saves and raises
`Stopped`, which `engine.cli` reports in one line with exit status 128 + signal.
"""

import signal
import threading


class Stopped(KeyboardInterrupt):
  """Training stopped on SIGINT or SIGTERM after saving a checkpoint."""

  def __init__(self, signum, step):
    super().__init__('stopped by %s at step %d' % (signal.Signals(signum).name, step))
    self.signum = signum


class StopSignals:
  """While active, SIGINT and SIGTERM (a cluster's preemption notice) ask the loop
  to stop after the current step, so that a checkpoint is never cut off halfway.
  A second SIGINT stops at once."""

  SIGNALS = (signal.SIGINT, signal.SIGTERM)

  def __init__(self):
    self.received = None
    self._previous = {}

  def _handle(self, signum, frame):
    del frame
    if self.received == signal.SIGINT and signum == signal.SIGINT:
      raise KeyboardInterrupt
    self.received = signum

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():  # handlers live there only
      for signum in self.SIGNALS:
        self._previous[signum] = signal.signal(signum, self._handle)
    return self

  def __exit__(self, *exc_info):
    for signum, handler in self._previous.items():
      signal.signal(signum, handler)
