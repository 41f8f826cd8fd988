"""TensorFlow's start-up log, hidden: the lines every binary printed before its own output.

Each binary calls `quiet()` first, before TensorFlow loads. TensorFlow's C++ code writes
those lines itself, most before any log level applies (TF_CPP_MIN_LOG_LEVEL does not hide
them), so standard error goes through a small filter process that drops exactly the lines of
NOISE and passes every other byte on: warnings, errors and tracebacks still show. A process
of its own rather than a thread, so that what a crash writes last still gets through.

SCOPEZOO_TF_LOGS=all shows everything again: no filter, and TensorFlow's own default log
level (TF_CPP_MIN_LOG_LEVEL, 2 here unless set: C++ errors only, INFO and WARNING hidden).
"""

import atexit
import os
import re
import select
import signal
import subprocess
import sys

# Lines of TensorFlow's start-up, matched whole. Each says what a CPU-only host or the
# wheel is, not that anything went wrong: the GPU libraries that are absent, the oneDNN
# notice, the CPU features, plug-ins registered twice.
NOISE = re.compile('|'.join([
    r'WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR',
    r'[IWE]\d{4} [\d:.]+ +\d+ \S+\] (?:%s).*' % '|'.join([
        r'oneDNN custom operations are on\.',
        r'Could not find cuda drivers on your machine, GPU will not be used\.',
        r'failed call to cuInit: .*(?:UNKNOWN ERROR \(303\)|CUDA_ERROR_NO_DEVICE)',
        r'This TensorFlow binary is optimized to use available CPU instructions',
        r'Unable to register cu(?:DNN|FFT|BLAS) factory',
        r'computation placer already registered',
        r'TF-TRT Warning: Could not find TensorRT',
    ]),
    r'To enable the following instructions: .*rebuild TensorFlow with the appropriate '
    r'compiler flags\.',
    r'INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.',  # LiteRT, on every model
]).encode())

ENV = 'SCOPEZOO_TF_LOGS'
_IDLE_SECONDS = 0.05  # a line without its newline yet (a prompt) is passed on after this


def quiet():
  """Sets TensorFlow's log level default and filters standard error, unless
  SCOPEZOO_TF_LOGS=all. Call it first thing in a binary's process, before TensorFlow
  loads; a second call does nothing."""
  if os.environ.get(ENV) == 'all' or getattr(quiet, 'filter', None):
    return
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  try:
    os.fstat(2)
  except OSError:  # no standard error to filter
    return
  sys.stderr.flush()
  read_end, write_end = os.pipe()
  # Started by path with the interpreter alone (no site, no environment), so it is quick
  # and imports nothing of the project; it writes to the standard error we had.
  quiet.filter = subprocess.Popen(
      [sys.executable, '-I', '-S', os.path.abspath(__file__), str(read_end)],
      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(read_end,))
  os.close(read_end)
  original = os.dup(2)
  os.dup2(write_end, 2)
  os.close(write_end)
  atexit.register(_finish, original)


def _finish(original):
  """At exit: what is buffered goes through, standard error is restored, and the filter
  has written everything before the process ends (the shell's prompt comes after it)."""
  for stream in (sys.stdout, sys.stderr):
    try:
      stream.flush()
    except (OSError, ValueError):
      pass
  os.dup2(original, 2)  # closes our end of the pipe: the filter sees the end of its input
  try:
    quiet.filter.wait(timeout=2)  # longer only if a child of ours still holds the pipe
  except subprocess.TimeoutExpired:
    pass


def _forward(source, target):
  """Copies `source` to `target` line by line, minus the lines NOISE matches whole."""
  pending = b''
  while True:
    ready, _, _ = select.select([source], [], [], _IDLE_SECONDS if pending else None)
    if not ready:  # a partial line that waits for nothing more: pass it on
      _write(target, pending)
      pending = b''
      continue
    data = os.read(source, 65536)
    if not data:
      _write(target, pending)
      return
    *lines, pending = (pending + data).split(b'\n')
    _write(target, b''.join(line + b'\n' for line in lines
                            if not NOISE.fullmatch(line.rstrip(b'\r'))))


def _write(target, data):
  while data:
    try:
      data = data[os.write(target, data):]
    except OSError:  # standard error closed: nothing more can be shown
      return


if __name__ == '__main__':  # the filter process: `python tflogs.py FD`
  # A Ctrl-C or kill meant for the binary reaches its whole process group; the filter
  # ends when the binary's standard error closes, after passing on its last words.
  for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, signal.SIG_IGN)
  _forward(int(sys.argv[1]), 2)
