"""The binaries start quietly: none of TensorFlow's start-up lines (tflogs), every other
line kept, all of them back with SCOPEZOO_TF_LOGS=all; and eval.py on a checkpoint whose
classifier has other classes than the dataset says what differs and what to do."""

import os
import re
import select
import signal
import subprocess
import sys
import time

import pytest

import tflogs
from binaries import ROOT

# What the start-up lines of TensorFlow 2.21 say, written out here rather than taken
# from tflogs.NOISE, so that a pattern gone wrong there shows.
STARTUP_MARKERS = ('absl::InitializeLog', 'oneDNN custom operations', 'cuda drivers', 'cuInit',
                   'This TensorFlow binary is optimized', 'To enable the following instructions',
                   'Unable to register cu', 'TF-TRT', 'computation placer')


def _env(**overrides):
  """The user's environment: TensorFlow's and our log settings at their defaults."""
  env = {k: v for k, v in os.environ.items()
         if k not in ('TF_CPP_MIN_LOG_LEVEL', 'TF_ENABLE_ONEDNN_OPTS', tflogs.ENV)}
  return dict(env, PYTHONPATH=ROOT, **overrides)


def _run(program, *args, **env):
  command = program.split() if program.startswith('-m ') else [os.path.join(ROOT, program)]
  return subprocess.run([sys.executable, *command, *args], cwd=ROOT, env=_env(**env),
                        capture_output=True, text=True, timeout=600)


def _startup_lines(text):
  return [line for line in text.splitlines() if any(m in line for m in STARTUP_MARKERS)]


@pytest.fixture(scope='module')
def short_run(tmp_path_factory):
  """train.py for 2 steps on the digits with 12 classes (the dataset has 10)."""
  train_dir = str(tmp_path_factory.mktemp('quiet') / 'lenet12')
  done = _run('train.py', '--model=lenet', '--num_classes=12', '--max_number_of_steps=2',
              '--batch_size=1', '--train_dir=%s' % train_dir)
  return done, train_dir


def test_a_short_training_run_shows_none_of_the_startup_lines(short_run):
  done, _ = short_run
  assert done.returncode == 0, done.stderr[-3000:]
  assert 'trained lenet to step 2' in done.stdout
  assert _startup_lines(done.stderr) == [], done.stderr


@pytest.mark.parametrize('program, args, shows', [
    ('predict.py', ['--helpshort'], '--saved_model'),  # absl's help exits 1
    ('bench.py', ['--helpshort'], '--models'),
    ('-m nets', ['list', 'lenet'], 'lenet '),
    ('-m datasets.convert', ['--help'], '--output_dir'),
    ('-m datasets.extract', ['--help'], '--count'),  # a step of make demo
])
def test_every_entry_point_starts_quietly(program, args, shows):
  done = _run(program, *args)
  assert shows in done.stdout and 'Traceback' not in done.stderr, done.stderr[-3000:]
  assert _startup_lines(done.stderr) == [], done.stderr


def test_a_flag_error_still_shows_without_the_startup_lines():
  done = _run('export.py', '--no_such_flag=1')
  assert done.returncode != 0
  assert _startup_lines(done.stderr) == [], done.stderr
  assert "Unknown command line flag 'no_such_flag'" in done.stderr


def test_scopezoo_tf_logs_all_brings_the_startup_lines_back():
  done = _run('train.py', '--helpshort', SCOPEZOO_TF_LOGS='all')
  assert '--max_number_of_steps' in done.stdout, done.stderr[-3000:]
  shown = _startup_lines(done.stderr)
  # This host's lines (oneDNN's notice at least, on every CPU), each one the filter knows.
  assert any('oneDNN custom operations' in line for line in shown), done.stderr
  unknown = [line for line in shown if not tflogs.NOISE.fullmatch(line.encode())]
  assert unknown == [], unknown


def test_eval_of_a_checkpoint_with_other_classes_names_both_counts(short_run):
  _, train_dir = short_run
  done = _run('eval.py', '--model=lenet', '--checkpoint_path=%s' % train_dir,
              '--eval_dir=%s' % os.path.join(train_dir, 'eval'))
  assert done.returncode == 1 and 'Traceback' not in done.stderr, done.stderr[-3000:]
  lines = done.stderr.strip().splitlines()
  assert len(lines) == 1, lines  # no start-up line either
  assert re.fullmatch(
      r'eval\.py: error: checkpoint ckpt-2 has 12 classes \(LeNet/fc4/biases\), the model here '
      r'10 .*--num_classes=12 .*fine-tune a 10-class classifier first \(train\.py '
      r'--checkpoint_path=\S+ckpt-2 --checkpoint_exclude_scopes=LeNet/fc4\)', lines[0]), lines[0]


# The filter alone, without TensorFlow: real lines of this host, and lines like them that
# are news (a driver that does not match is not a CPU-only host).
STARTUP = [
    'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR',
    'I0000 00:00:1796164816.918507    5546 port.cc:153] oneDNN custom operations are on. You '
    'may see slightly different numerical results due to floating-point round-off errors.',
    'I0000 00:00:1796164816.918847    5546 cudart_stub.cc:31] Could not find cuda drivers on '
    'your machine, GPU will not be used.',
    'E0000 00:00:1796164844.864347    5846 cuda_platform.cc:52] failed call to cuInit: INTERNAL: '
    'CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)',
]
NEWS = [
    'E0000 00:00:1796164844.864347    5846 cuda_platform.cc:52] failed call to cuInit: '
    'CUDA_ERROR_SYSTEM_DRIVER_MISMATCH: system has unsupported display driver / cuda driver',
    'W0000 00:00:1796164849.193954    9383 op_kernel.cc:1857] OP_REQUIRES failed at conv_ops.cc',
]
PROGRAM = r'''
import os, subprocess, sys, warnings
from absl import logging
import tflogs
tflogs.quiet()
lines = %r
os.write(2, (lines[0] + '\n' + lines[1] + '\n').encode())
warnings.warn('a real warning')
logging.warning('a real absl warning')
subprocess.run([sys.executable, '-c', 'import sys; sys.stderr.write(%%r)' %% (
    lines[2] + '\nfrom a child process\n' + lines[3] + '\n')])
sys.stderr.write('\n'.join(lines[4:]) + '\nno newline at the end')
'''


def test_the_filter_drops_the_startup_lines_and_passes_every_other_line():
  done = subprocess.run([sys.executable, '-c', PROGRAM % (STARTUP + NEWS)], cwd=ROOT,
                        env=_env(), capture_output=True, text=True, timeout=120)
  assert done.returncode == 0, done.stderr
  lines = done.stderr.splitlines()
  assert not set(STARTUP) & set(lines), lines
  assert lines[0].endswith('UserWarning: a real warning')
  assert lines[1].endswith('a real absl warning')
  assert lines[2:] == ['from a child process'] + NEWS + ['no newline at the end']
  loud = subprocess.run([sys.executable, '-c', PROGRAM % (STARTUP + NEWS)], cwd=ROOT,
                         env=_env(SCOPEZOO_TF_LOGS='all'), capture_output=True, text=True,
                         timeout=120)
  assert set(STARTUP) <= set(loud.stderr.splitlines()), loud.stderr


def test_a_prompt_shows_while_it_waits_and_a_crash_keeps_its_last_words():
  program = ('import os, signal, sys, tflogs\ntflogs.quiet()\n'
             'os.write(2, b"answer? ")\nsys.stdin.readline()\n'
             'os.write(2, b"last words\\n")\nos.kill(os.getpid(), signal.SIGKILL)\n')
  process = subprocess.Popen([sys.executable, '-c', program], cwd=ROOT, env=_env(),
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE)
  shown, deadline = b'', time.monotonic() + 60
  while b'answer? ' not in shown and time.monotonic() < deadline:  # no newline comes
    if select.select([process.stderr], [], [], 1)[0]:
      shown += os.read(process.stderr.fileno(), 1024)
  assert shown == b'answer? '
  _, rest = process.communicate(b'\n', timeout=60)
  assert process.returncode == -signal.SIGKILL and rest == b'last words\n'
