"""Running the repo's binaries (train.py, eval.py, export.py, ...) as a user does."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_binary(program, *args):
  """`python <program> args...` from the repo root; the CompletedProcess, text captured."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=ROOT)
  return subprocess.run([sys.executable, os.path.join(ROOT, program), *args], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=600)
