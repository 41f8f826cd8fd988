"""How the binaries end on a user error: one line naming the flag, file or variable, exit 1."""

import signal
import sys

from absl import app, logging

from datasets.records import DataError
from engine.checkpoints import CheckpointError
from engine.config import ConfigError
from engine.optimizers import OptimizerError
from engine.strategies import StrategyError
from nets.registry import ScopeParameterError, UnknownModelError

USER_ERRORS = (CheckpointError, ConfigError, DataError, FloatingPointError, OptimizerError,
               ScopeParameterError, StrategyError, UnknownModelError, FileNotFoundError,
               PermissionError)


def run(main, program, extra_errors=()):
  """`app.run(main)`, printing `program: error: message` for user errors (and for
  `extra_errors`)."""

  def guarded(argv):
    logging.set_verbosity(logging.WARNING)  # progress is printed; TF's INFO lines are noise
    try:
      return main(argv)
    except USER_ERRORS + tuple(extra_errors) as e:
      print('%s: error: %s' % (program, e), file=sys.stderr)
      sys.exit(1)
    except KeyboardInterrupt as e:
      signum = getattr(e, 'signum', signal.SIGINT)  # engine.signals.Stopped names its signal
      print('%s: %s; the same command resumes' % (program, e or 'interrupted'), file=sys.stderr)
      sys.exit(128 + signum)

  app.run(guarded)
