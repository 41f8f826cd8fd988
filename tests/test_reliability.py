"""Reliability: training survives SIGKILL at any moment, checkpoints are never corrupt."""

import json
import os
import re
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from binaries import ROOT, run_binary
from datasets import catalog, records, writer
from engine import flags, training

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
  kept = sorted(int(p.name[5:-6]) for p in train_dir.glob('ckpt-*.index'))
  assert kept == [MAX_STEPS - SAVE_EVERY, MAX_STEPS]  # --keep_checkpoint_max=2
  reader = tf.train.load_checkpoint(str(train_dir / 'ckpt-40'))
  assert reader.get_tensor('optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE') == MAX_STEPS


def test_a_full_disk_stops_with_a_clear_message_and_no_broken_checkpoint(tmp_path):
  train_dir = tmp_path / 'run'
  code, lines = _run(train_dir, fault=('disk_full', '10'))
  assert code == 1 and 'Traceback' not in '\n'.join(lines)
  assert lines[-1].startswith('train.py: error: --train_dir=%s: the disk is full; step 10 was '
                              'not saved and %s stays the latest checkpoint'
                              % (train_dir, train_dir / 'ckpt-5')), lines[-3:]
  assert sorted(p.name for p in train_dir.glob('ckpt-*')) == ['ckpt-5.data-00000-of-00001',
                                                              'ckpt-5.index']
  assert _check_checkpoints(train_dir) == 5
  code, lines = _run(train_dir)  # space freed: the same command resumes and finishes
  assert code == 0 and 'resumed from %s at step 5' % (train_dir / 'ckpt-5') in lines


# Every bad input the binaries check: one line naming it, exit status 1. The
# table of docs/reliability.md lists the same rows (by their first column).
BAD_INPUTS = [
    ('an unknown model', 'train.py', ['--model=lenett'],
     "unknown model 'lenett'; did you mean lenet"),
    ('an unknown dataset', 'train.py', ['--model=lenet', '--dataset_name=nosuch',
                                        '--dataset_dir={data}/toy'],
     r"no dataset 'nosuch': .*toy holds no nosuch_<split>_\*.tfrecord shards"),
    ('a missing dataset directory', 'train.py', ['--model=lenet', '--dataset_name=digits',
                                                 '--dataset_dir=/nowhere'],
     'dataset directory /nowhere does not exist'),
    ('an empty dataset directory', 'train.py', ['--model=lenet', '--dataset_dir={data}/empty'],
     'empty holds no .*tfrecord'),
    ('a corrupt record', 'eval.py', ['--checkpoint_path={ckpt}', '--num_classes=10',
                                     '--dataset_dir={data}/corrupt', '--dataset_split_name=train'],
     r'toy_train_00001-of-00002.tfrecord record \d+: corrupt'),
    ('an undecodable image', 'eval.py', ['--checkpoint_path={ckpt}', '--num_classes=10',
                                         '--dataset_dir={data}/image',
                                         '--dataset_split_name=train'],
     'toy_train_00001-of-00002.tfrecord record 1: image/encoded .* is not a decodable'),
    ('a label out of range', 'eval.py', ['--checkpoint_path={ckpt}', '--num_classes=10',
                                         '--dataset_dir={data}/label',
                                         '--dataset_split_name=train'],
     r'toy_train_00001-of-00002.tfrecord record 1: label 42 is outside the model classes'),
    ('a checkpoint of another model', 'eval.py', ['--model=cifarnet', '--checkpoint_path={ckpt}',
                                                  '--dataset_name=digits'],
     r'holds another model \(variables under LeNet\)'),
    ('a shape mismatch on restore', 'train.py', ['--checkpoint_path={ckpt}', '--num_classes=12',
                                                 '--checkpoint_exclude_scopes=LeNet/conv1'],
     r'LeNet/fc4/\w+ has shape .* exclude it with --checkpoint_exclude_scopes=LeNet/fc4'),
    ('an unknown scope parameter', 'train.py', ['--config={data}/scope.yaml'],
     r"unknown scope parameter 'weight_dacay' for model lenet \(lenet_arg_scope\)"),
    ('a bad YAML file', 'train.py', ['--config={data}/bad.yaml'],
     'bad.yaml line 2 is not valid YAML'),
    ('an unwritable train_dir', 'train.py', ['--train_dir=/proc/scopezoo_run'],
     '--train_dir=/proc/scopezoo_run cannot be written'),
    ('a batch size below one per replica', 'train.py', ['--batch_size=0'],
     '--batch_size=0: must be at least 1'),
]


@pytest.fixture(scope='module')
def bad_inputs(tmp_path_factory):
  """Datasets with one bad record each, recipes, and a LeNet checkpoint."""
  root = tmp_path_factory.mktemp('bad_inputs')
  png = tf.io.encode_png(tf.zeros([6, 5, 3], tf.uint8)).numpy()
  garbage = {'image': records.image_example(b'\x89PNG not really', 'png', 1, 6, 5),
             'label': records.image_example(png, 'png', 42, 6, 5)}
  for kind in ('toy', 'corrupt', 'image', 'label'):
    directory = str(root / kind)
    paths, _ = writer.write_split(
        list(range(8)), lambda i, kind=kind: (garbage.get(kind) if i == 5 else None) or
        records.image_example(png, 'png', i % 4, 6, 5), directory, 'toy', 'train', 2)
    records.write_labels({c: 'class%d' % c for c in range(4)}, directory)
    catalog.get_split('toy', 'train', directory)  # counts the records before any damage
    if kind == 'corrupt':
      data = bytearray(open(paths[1], 'rb').read())
      data[len(data) // 2] ^= 0xFF
      open(paths[1], 'wb').write(bytes(data))
  (root / 'empty').mkdir()
  (root / 'scope.yaml').write_text('model_name: lenet\nscope:\n  weight_dacay: 0.1\n')
  (root / 'bad.yaml').write_text('model_name: [lenet\n')
  config = flags.defaults(flags.COMMON, flags.TRAIN, model_name='lenet',
                          train_dir=str(root / 'lenet'), max_number_of_steps=1)
  checkpoint = training.train(config)['checkpoint']
  return {'data': root, 'ckpt': checkpoint}


@pytest.mark.parametrize('what, program, args, message', BAD_INPUTS,
                         ids=[row[0] for row in BAD_INPUTS])
def test_bad_input_gets_one_line_and_exit_1(bad_inputs, tmp_path, what, program, args,
                                            message):
  args = [a.format(**bad_inputs) for a in args]
  if program == 'train.py':
    args = ['--model=lenet', '--train_dir=%s' % (tmp_path / 'run')] + args
  else:
    args = ['--model=lenet', '--eval_dir=%s' % (tmp_path / 'eval')] + args
  done = run_binary(program, *args)
  assert done.returncode == 1, (what, done.stdout[-1000:], done.stderr[-2000:])
  assert 'Traceback' not in done.stderr, done.stderr[-3000:]
  last = done.stderr.strip().splitlines()[-1]
  assert last.startswith(program + ': error: ') and re.search(message, last), (what, last)


def test_the_docs_list_every_checked_input():
  with open(os.path.join(ROOT, 'docs', 'reliability.md')) as f:
    rows = [line for line in f if line.startswith('| ')]
  for what, *_ in BAD_INPUTS:
    assert any(row.startswith('| %s |' % what) for row in rows), what


def _free_port():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def _start_workers(train_dir, ports, max_steps):
  workers = ['127.0.0.1:%d' % port for port in ports]
  processes = []
  for index in range(2):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=ROOT, PYTHONUNBUFFERED='1',
               TF_CONFIG=json.dumps({'cluster': {'worker': workers},
                                     'task': {'type': 'worker', 'index': index}}))
    processes.append(subprocess.Popen(
        [sys.executable, os.path.join(ROOT, 'train.py'), '--model=lenet',
         '--strategy=multi_worker', '--train_dir=%s' % train_dir, '--batch_size=8',
         '--max_number_of_steps=%d' % max_steps, '--save_interval_steps=10',
         '--save_interval_secs=100000', '--log_every_n_steps=5', '--seed=1'],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
  return processes


def test_a_dead_worker_stops_the_job_fast_and_a_restart_resumes(tmp_path):
  train_dir = tmp_path / 'multi'
  chief, worker = _start_workers(train_dir, [_free_port(), _free_port()], 40)
  for line in chief.stdout:  # the chief prints the progress
    if line.startswith('step 25/'):
      break
  worker.kill()
  worker.wait()
  try:
    _, err = chief.communicate(timeout=120)  # fails fast: no hang on the dead peer
  finally:
    chief.kill()
  assert chief.returncode == 1 and 'Traceback' not in err, err[-3000:]
  last = err.strip().splitlines()[-1]
  latest = tf.train.latest_checkpoint(str(train_dir))  # ckpt-20, or later if the kill lagged
  assert last.startswith('train.py: error: another worker of the job failed or became '
                         'unreachable') and last.endswith('resume from %s' % latest), last
  processes = _start_workers(train_dir, [_free_port(), _free_port()], 40)
  outputs = [p.communicate(timeout=300) for p in processes]
  assert [p.returncode for p in processes] == [0, 0], outputs[0][1][-2000:]
  assert 'resumed from %s at step %s' % (latest, latest.rsplit('-', 1)[1]) in outputs[0][0]
  assert tf.train.latest_checkpoint(str(train_dir)).endswith('ckpt-40')


def test_continuous_eval_beside_training_that_deletes_checkpoints(tmp_path):
  train_dir = tmp_path / 'run'
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=ROOT)
  # Started first: it waits for train_dir, then for each new checkpoint.
  evaluator = subprocess.Popen(
      [sys.executable, os.path.join(ROOT, 'eval.py'), '--model=lenet',
       '--checkpoint_path=%s' % train_dir, '--eval_interval_secs=1', '--eval_timeout_secs=20',
       '--max_num_batches=1', '--batch_size=8'],
      cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  trainer = _start(train_dir)  # saves every 5 steps and keeps 2
  trainer.communicate(timeout=300)
  assert trainer.returncode == 0
  out, err = evaluator.communicate(timeout=300)
  assert evaluator.returncode == 0 and 'Traceback' not in err, err[-2000:]
  assert (train_dir / 'eval' / 'results.json').exists()  # eval_dir inside the train_dir
  steps = [int(m) for m in re.findall(r'^eval checkpoint ckpt-\d+ step (\d+)', out, re.M)]
  # How many it catches depends on the machine's speed; the last is always evaluated.
  assert steps and steps == sorted(steps) and steps[-1] == MAX_STEPS, out
