"""Running the repo's binaries (train.py, eval.py, export.py, ...) as a user does."""

import json
import os
import socket
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_binary(program, *args):
  """`python <program> args...` from the repo root; the CompletedProcess, text captured."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=ROOT)
  return subprocess.run([sys.executable, os.path.join(ROOT, program), *args], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=600)


def start_worker(config, cpus=1, env=None):
  """tests/train_worker.py training `config` (or a list of configs) in a process of its
  own, on `cpus` logical CPU devices; read its results with `worker_result`."""
  return subprocess.Popen(
      [sys.executable, os.path.join(ROOT, 'tests', 'train_worker.py'), json.dumps(config),
       str(cpus)], cwd=ROOT, env=dict(os.environ, **(env or {})), stdout=subprocess.PIPE,
      stderr=subprocess.PIPE, text=True)


def worker_result(process, every=False):
  """The worker's last RESULT (its weights, losses, step, replicas); `every`: all of them."""
  out, err = process.communicate(timeout=600)
  assert process.returncode == 0, err[-3000:]
  results = [json.loads(line[len('RESULT '):]) for line in out.splitlines()
             if line.startswith('RESULT ')]
  return results if every else results[-1]


def free_port():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]
