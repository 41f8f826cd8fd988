"""Reliability: training survives SIGKILL at any moment, checkpoints are never corrupt."""

import os
import re
import subprocess
import sys

import numpy as np
import tensorflow as tf

from binaries import ROOT

SAVE_EVERY, MAX_STEPS = 5, 40


def _start(train_dir, fault=()):
  program = [os.path.join(ROOT, 'tests', 'faulty_train.py'), *fault] if fault else \
      [os.path.join(ROOT, 'train.py')]
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=ROOT, PYTHONUNBUFFERED='1')
  return subprocess.Popen(
      [sys.executable, *program, '--model=lenet', '--train_dir=%s' % train_dir,
       '--max_number_of_steps=%d' % MAX_STEPS, '--save_interval_steps=%d' % SAVE_EVERY,
       '--save_interval_secs=100000', '--log_every_n_steps=1', '--keep_checkpoint_max=2',
       '--seed=1'], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
      text=True)


def _run(train_dir, kill_after_step=None, fault=()):
  """Runs train.py until it ends, or SIGKILLs it once it prints step `kill_after_step`;
  returns (return code, output lines)."""
  process = _start(train_dir, fault)
  lines = []
  for line in process.stdout:
    lines.append(line.rstrip())
    if kill_after_step and line.startswith('step %d/' % kill_after_step):
      process.kill()
      break
  lines.extend(process.communicate(timeout=300)[0].splitlines())
  return process.returncode, lines


def _steps(lines):
  return [int(m.group(1)) for m in map(re.compile(r'^step (\d+)/').match, lines) if m]


def _check_checkpoints(train_dir):
  """Every checkpoint the state lists and that exists reads whole; returns the latest step."""
  state = tf.train.get_checkpoint_state(str(train_dir))
  for path in state.all_model_checkpoint_paths:
    if tf.io.gfile.exists(path + '.index'):
      reader = tf.train.load_checkpoint(path)
      for name in reader.get_variable_to_shape_map():
        reader.get_tensor(name)
  return int(state.model_checkpoint_path.rsplit('-', 1)[1])


def test_sigkill_at_any_moment_resumes_from_the_last_complete_checkpoint(tmp_path):
  train_dir = tmp_path / 'run'
  rng = np.random.RandomState(0)
  # Kills after random steps, and inside the saves of steps 15 and 30.
  plan = [dict(kill_after_step=int(rng.randint(3, 13))),
          dict(fault=('files_written', '15')),
          dict(kill_after_step=int(rng.randint(17, 28))),
          dict(fault=('deleting_old', '30')),
          dict(kill_after_step=int(rng.randint(31, 39)))]
  resumed_at = 0
  for number, kill in enumerate(plan):
    code, lines = _run(train_dir, **kill)
    assert code == -9, (number, lines[-5:])
    if number:  # a restart resumes from the last complete checkpoint
      resumed = [line for line in lines if line.startswith('resumed from ')]
      assert resumed and resumed[0].endswith('ckpt-%d at step %d' % (resumed_at, resumed_at)), \
          (number, resumed, lines[:5])
    printed = _steps(lines)
    latest = _check_checkpoints(train_dir)
    if 'fault' in kill:
      point, step = kill['fault'][0], int(kill['fault'][1])
      assert any(line.startswith('FAULT ') for line in lines)
      # Cut off before the state moved: the previous checkpoint stays the latest.
      assert latest == (step - SAVE_EVERY if point == 'files_written' else step)
    assert max(printed) - latest <= SAVE_EVERY  # at most one save interval lost
    resumed_at = latest
  code, lines = _run(train_dir)
  assert code == 0, lines[-5:]
  assert [line for line in lines if line.startswith('resumed from ')][0].endswith(
      'at step %d' % resumed_at)
  assert 'trained lenet to step %d; checkpoint %s' % (MAX_STEPS, train_dir / 'ckpt-40') in lines
  assert _check_checkpoints(train_dir) == MAX_STEPS
  reader = tf.train.load_checkpoint(str(train_dir / 'ckpt-40'))
  assert reader.get_tensor('optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE') == MAX_STEPS
