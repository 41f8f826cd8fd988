"""train.py and eval.py: training, resume, fine-tuning, checkpoints, strategies, recipes, errors."""

import glob
import json
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tf_keras
import yaml

from binaries import ROOT, free_port, run_binary, start_worker, worker_result
from engine import checkpoints, evaluation, flags, model_building, optimizers, training
from engine import config as config_lib
from engine.checkpoints import CheckpointError
from engine.config import ConfigError
from nets import registry



def train_config(train_dir, **overrides):
  values = dict(model_name='lenet', train_dir=str(train_dir), batch_size=32, optimizer='adam',
                opt_epsilon=1e-8, learning_rate=0.002, seed=1, log_every_n_steps=100,
                save_summaries_secs=1)
  values.update(overrides)
  return flags.defaults(flags.COMMON, flags.TRAIN, **values)


def eval_config(checkpoint_path, eval_dir, **overrides):
  values = dict(model_name='lenet', checkpoint_path=str(checkpoint_path), eval_dir=str(eval_dir),
                batch_size=50)
  values.update(overrides)
  return flags.defaults(flags.COMMON, flags.EVAL, **values)


@pytest.fixture(scope='module')
def demo_run(tmp_path_factory):
  """LeNet trained on the embedded digits by the demo recipe, with moving averages."""
  train_dir = tmp_path_factory.mktemp('demo') / 'lenet'
  recipe = config_lib.load_yaml(os.path.join(ROOT, 'configs', 'demo_lenet_digits.yaml'))
  recipe.update(moving_average_decay=0.99)
  config = train_config(train_dir, **recipe)
  result = training.train(config)
  return train_dir, result


def test_training_lowers_the_loss_and_the_demo_reaches_its_accuracy(demo_run, tmp_path):
  train_dir, result = demo_run
  losses = result['losses']
  assert result['step'] == 300 and len(losses) == 300
  assert np.mean(losses[-30:]) < 0.25 * np.mean(losses[:30])
  results = evaluation.evaluate(eval_config(train_dir, tmp_path / 'eval'), report=lambda r: None)
  assert results['examples'] == 299  # the whole validation split, exactly once
  assert results['top1'] >= 0.95 and results['top5'] >= results['top1']
  assert results['step'] == 300
  written = json.loads((tmp_path / 'eval' / 'results.json').read_text())
  assert written['top1'] == results['top1']
  assert glob.glob(str(tmp_path / 'eval' / 'events.out.tfevents.*'))
  # The moving averages are in the checkpoint and evaluate too.
  averaged = evaluation.evaluate(
      eval_config(train_dir, tmp_path / 'ema', moving_average_decay=0.99), report=lambda r: None)
  assert averaged['top1'] >= 0.9 and averaged['loss'] != results['loss']


def test_the_resolved_config_and_summaries_are_written(demo_run):
  train_dir, _ = demo_run
  written = yaml.safe_load((train_dir / 'config.yaml').read_text())
  assert written['model_name'] == 'lenet' and written['max_number_of_steps'] == 300
  assert written['resolved']['num_classes'] == 10
  assert written['resolved']['dataset'] == 'digits/train'
  events = glob.glob(str(train_dir / 'events.out.tfevents.*'))
  tags = set()
  for event in tf.compat.v1.train.summary_iterator(events[0]):
    tags.update(value.tag for value in event.summary.value)
  assert {'losses/classification', 'learning_rate', 'accuracy/train', 'images_per_second',
          'input'} <= tags


def test_resume_continues_at_the_same_step_with_the_optimizer_state(tmp_path):
  config = train_config(tmp_path / 'run', max_number_of_steps=6)
  first = training.Trainer(config)
  first.run()
  saved = {checkpoints.name_of(v): v.numpy() for v in first.optimizer.variables()}
  second = training.Trainer(dict(config, max_number_of_steps=9))
  second._restore_or_warm_start()
  assert int(second.optimizer.iterations.numpy()) == 6
  restored = {checkpoints.name_of(v): v.numpy() for v in second.optimizer.variables()}
  assert set(saved) == set(restored)
  for name, value in saved.items():
    np.testing.assert_array_equal(restored[name], value, err_msg=name)
  result = second.run()
  assert result['step'] == 9 and len(result['losses']) == 3


def test_fine_tuning_excludes_and_freezes_scopes(demo_run, tmp_path):
  train_dir, _ = demo_run
  config = train_config(tmp_path / 'head', checkpoint_path=str(train_dir),
                        checkpoint_exclude_scopes='LeNet/fc4', trainable_scopes=['LeNet/fc4'],
                        max_number_of_steps=5)
  trainer = training.Trainer(config)
  trainer.run()
  stored = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(train_dir)))
  keys = checkpoints.variables_in(tf.train.latest_checkpoint(str(train_dir)))
  for variable in trainer.net.variables:
    name = checkpoints.name_of(variable)
    value = stored.get_tensor(keys[name][0])
    if name.startswith('LeNet/fc4'):
      assert not np.allclose(variable.numpy(), value), name  # new, then trained
    else:
      np.testing.assert_array_equal(variable.numpy(), value, err_msg=name)  # restored, frozen
  assert [checkpoints.name_of(v) for v in trainer.trainable] == ['LeNet/fc4/biases',
                                                                 'LeNet/fc4/weights']


def test_new_number_of_classes_leaves_the_logits_out(demo_run, tmp_path, capsys):
  train_dir, _ = demo_run
  # The 10 digits as 11 classes: the checkpoint's 10-class logits scope is excluded by itself.
  config = train_config(tmp_path / 'eleven', checkpoint_path=str(train_dir), num_classes=11,
                        max_number_of_steps=1)
  training.train(config)
  out = capsys.readouterr().out
  assert '11 classes instead of 10: leaving out LeNet/fc4' in out
  assert 'restored 6 variables, skipped 2 in --checkpoint_exclude_scopes, left 0 new' in out


@pytest.mark.parametrize('precision', ['bfloat16', 'float16'])
def test_mixed_precision_computes_low_on_float32_weights(demo_run, tmp_path, precision):
  train_dir, _ = demo_run
  config = train_config(tmp_path / precision, mixed_precision=precision, max_number_of_steps=3,
                        jit_compile=precision == 'bfloat16')
  trainer = training.Trainer(config)
  result = trainer.run()
  assert result['step'] == 3 and all(np.isfinite(result['losses']))
  assert {v.dtype for v in trainer.net.variables} == {tf.float32}
  logits, end_points = trainer.net(tf.zeros([2, 28, 28, 3]))
  assert logits.dtype == tf.float32 and end_points['fc3'].dtype == tf.as_dtype(precision)
  assert isinstance(trainer.optimizer, tf_keras.mixed_precision.LossScaleOptimizer) == (
      precision == 'float16')
  # A float32 checkpoint evaluates in low precision with about the same accuracy.
  full = evaluation.evaluate(eval_config(train_dir, tmp_path / 'e32'), report=lambda r: None)
  low = evaluation.evaluate(eval_config(train_dir, tmp_path / 'elow', mixed_precision=precision),
                            report=lambda r: None)
  assert abs(low['top1'] - full['top1']) <= 0.03


def test_mismatched_checkpoint_names_the_variable_and_the_fix(demo_run):
  train_dir, _ = demo_run
  spec = registry.get('lenet')
  net = model_building.build_network(spec, train_config('unused'), 5)
  net(tf.zeros([1, 28, 28, 3]))
  with pytest.raises(CheckpointError, match=r'LeNet/fc4/(weights|biases) has shape \[.*10\] in '
                     r'checkpoint ckpt-300 but \[.*5\] in the model; exclude it with '
                     r'--checkpoint_exclude_scopes=LeNet/fc4'):
    checkpoints.warm_start(net.variables, str(train_dir))
  with pytest.raises(CheckpointError, match='does not exist'):
    checkpoints.warm_start(net.variables, str(train_dir / 'nothing-here'))


def test_tf1_saver_checkpoint_restores_every_variable_with_the_same_logits(tmp_path):
  """A TF1 graph-mode checkpoint of one of our nets (batch norm included) loads by name."""
  spec = registry.get('inception_v1')
  images = np.random.RandomState(0).uniform(-1, 1, (2, 224, 224, 3)).astype(np.float32)
  graph = tf.Graph()
  with graph.as_default():
    network_fn = registry.get_network_fn('inception_v1', num_classes=7, is_training=False)
    logits, _ = network_fn(tf.constant(images))
    variables = tf.compat.v1.global_variables()
    # Moving statistics away from their initial values, so restoring them matters.
    assigns = [v.assign(v + 0.1) for v in variables if 'moving_' in v.name]
    with tf.compat.v1.Session() as session:
      session.run(tf.compat.v1.global_variables_initializer())
      session.run(assigns)
      expected = session.run(logits)
      path = tf.compat.v1.train.Saver(variables).save(session, str(tmp_path / 'model.ckpt'))
  net = model_building.build_network(spec, train_config('unused', model_name='inception_v1'), 7)
  net(tf.zeros([1, 224, 224, 3]))
  report = checkpoints.warm_start(net.variables, path)
  assert len(report.restored) == len(net.variables) == len(variables)
  assert not report.excluded and not report.missing
  actual, _ = net(tf.constant(images), training=False)
  np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-4, atol=1e-4)


def test_mirrored_strategy_over_two_logical_cpus(tmp_path):
  config = train_config(tmp_path / 'mirrored', strategy='mirrored', max_number_of_steps=4,
                        batch_size=8)
  result = worker_result(start_worker(config, cpus=2))
  assert result['replicas'] == 2 and result['step'] == 4
  for name, replicas in result['weights'].items():
    assert len(replicas) == 2 and replicas[0] == replicas[1], name


def test_multi_worker_strategy_with_two_processes(tmp_path):
  config = train_config(tmp_path / 'multi', strategy='multi_worker', max_number_of_steps=4,
                        batch_size=8)
  workers = ['127.0.0.1:%d' % free_port() for _ in range(2)]
  processes = [start_worker(config, env={'TF_CONFIG': json.dumps(
      {'cluster': {'worker': workers}, 'task': {'type': 'worker', 'index': i}})})
      for i in range(2)]
  results = [worker_result(p) for p in processes]
  assert [r['replicas'] for r in results] == [2, 2]
  assert results[0]['weights'] == results[1]['weights']
  assert tf.train.latest_checkpoint(str(tmp_path / 'multi')).endswith('ckpt-4')
  assert not glob.glob(str(tmp_path / 'multi' / 'worker_temp_*'))


# Recipes and config resolution

def test_recipe_order_is_defaults_then_yaml_then_flags(tmp_path):
  recipe = tmp_path / 'r.yaml'
  recipe.write_text('learning_rate: 4e-5\nbatch_size: 8\ncheckpoint_exclude_scopes: [A/x, B]\n'
                    'scope:\n  batch_norm_decay: 0.99\n')
  defaults = {'learning_rate': 0.01, 'batch_size': 32, 'checkpoint_exclude_scopes': None}
  parsers = {'learning_rate': float, 'batch_size': int, 'checkpoint_exclude_scopes': str}
  config = config_lib.resolve(defaults, config_lib.load_yaml(str(recipe)), {'batch_size': 4},
                              parsers=parsers)
  assert config == {'learning_rate': 4e-5, 'batch_size': 4, 'checkpoint_exclude_scopes': 'A/x,B',
                    'scope': {'batch_norm_decay': 0.99}}


@pytest.mark.parametrize('text, message', [
    ('learning_rat: 0.1\n', "unknown key 'learning_rat'; did you mean learning_rate"),
    ('- a\n- b\n', 'holds a list, not a mapping'),
    ('a: [1\n', 'line 2 is not valid YAML'),
    ('batch_size: lots\n', "batch_size: 'lots' is not valid"),
    ('scope: 3\n', 'scope must map parameter names to values'),
])
def test_bad_recipes_name_the_key(tmp_path, text, message):
  recipe = tmp_path / 'r.yaml'
  recipe.write_text(text)
  with pytest.raises(ConfigError, match=message):
    config_lib.resolve({'learning_rate': 0.01, 'batch_size': 32}, config_lib.load_yaml(str(recipe)),
                       parsers={'learning_rate': float, 'batch_size': int})


@pytest.mark.parametrize('path', sorted(glob.glob(os.path.join(ROOT, 'configs', '*.yaml'))))
def test_every_recipe_resolves_for_train_and_eval(path):
  recipe = config_lib.load_yaml(path)
  train_keys = set(flags.names(flags.COMMON, flags.TRAIN))
  eval_keys = set(flags.names(flags.COMMON, flags.EVAL))
  assert set(recipe) - {'scope'} <= train_keys | eval_keys
  registry.get(recipe['model_name'])
  config = flags.defaults(flags.COMMON, flags.TRAIN,
                          **{k: v for k, v in recipe.items() if k in train_keys})
  spec = registry.get(config['model_name'])
  spec.arg_scope(**model_building.scope_params(config))  # the scope parameters exist
  optimizers.make_optimizer(config, optimizers.make_schedule(config, 100, 1000))


def test_schedules_follow_tf_slim():
  base = flags.defaults(flags.COMMON, flags.TRAIN, learning_rate=0.1,
                        learning_rate_decay_factor=0.5, num_epochs_per_decay=2.0,
                        end_learning_rate=0.001)
  lr = lambda kind, step, **kw: float(optimizers.make_schedule(
      dict(base, learning_rate_decay_type=kind, **kw), 10, 100)(step))
  assert lr('fixed', 99) == pytest.approx(0.1)
  assert [lr('exponential', s) for s in (0, 19, 20, 45)] == pytest.approx([0.1, 0.1, 0.05, 0.025])
  assert [lr('polynomial', s) for s in (0, 10, 20, 50)] == pytest.approx([0.1, 0.0505, 0.001,
                                                                          0.001])
  assert [lr('cosine', s) for s in (0, 50, 100)] == pytest.approx([0.1, 0.0505, 0.001])
  assert [lr('cosine', s, warmup_epochs=1.0) for s in (0, 4, 10)] == pytest.approx(
      [0.01, 0.05, 0.1])
  with pytest.raises(optimizers.OptimizerError, match='--learning_rate_decay_type=linear is '
                     'unknown; valid: fixed, exponential'):
    lr('linear', 0)


@pytest.mark.parametrize('name', optimizers.OPTIMIZERS)
def test_every_optimizer_takes_a_step(name):
  config = flags.defaults(flags.COMMON, flags.TRAIN, optimizer=name)
  optimizer = optimizers.make_optimizer(config, 0.1)
  variable = tf.Variable([1.0, -1.0])
  optimizer.apply_gradients([(tf.constant([1.0, -1.0]), variable)])
  assert float(tf.reduce_sum(tf.abs(variable))) < 2.0


@pytest.mark.parametrize('name, options', [
    ('rmsprop', {}), ('rmsprop', {'centered': True}), ('rmsprop', {'momentum': 0.0}),
    ('sgd', {}), ('sgd', {'momentum': 0.9}), ('sgd', {'momentum': 0.9, 'nesterov': True}),
    ('adam', {}), ('adam', {'amsgrad': True})])
def test_fused_optimizers_follow_tf_keras(name, options):
  """Our optimizers' fused kernels give tf_keras' updates and keep its slots."""
  ours, theirs = {'rmsprop': (optimizers.RMSprop, tf_keras.optimizers.RMSprop),
                  'sgd': (optimizers.SGD, tf_keras.optimizers.SGD),
                  'adam': (optimizers.Adam, tf_keras.optimizers.Adam)}[name]
  options = dict({'rmsprop': {'momentum': 0.9, 'epsilon': 1.0}, 'adam': {'epsilon': 1e-3}}.get(
      name, {}), learning_rate=0.01, **options)
  rng = np.random.RandomState(0)
  start = rng.randn(3, 4).astype(np.float32)
  gradients = [rng.randn(3, 4).astype(np.float32) for _ in range(4)]
  results = []
  for cls in (ours, theirs):
    variable, optimizer = tf.Variable(start), cls(**options)
    optimizer.build([variable])
    step = tf.function(lambda g, o=optimizer, v=variable: o.apply_gradients([(g, v)]))
    for gradient in gradients:
      step(tf.constant(gradient))
    results.append((variable.numpy(), sorted(v.name for v in optimizer.variables)))
  np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6, atol=1e-6)
  assert results[0][1] == results[1][1]
  assert not np.allclose(results[0][0], start)


def test_eval_continuous_over_a_directory(demo_run, tmp_path):
  train_dir, _ = demo_run
  config = eval_config(train_dir, tmp_path / 'continuous', eval_interval_secs=1,
                       eval_timeout_secs=1, max_number_of_evaluations=1, max_num_batches=2)
  seen = []
  results = evaluation.evaluate(config, report=seen.append)
  assert len(seen) == 1 and results['examples'] == 100


def test_eval_continuous_skips_a_checkpoint_deleted_before_it_is_read(demo_run, tmp_path,
                                                                      monkeypatch, capsys):
  train_dir, _ = demo_run
  deleted = str(tmp_path / 'ckpt-5')  # listed by the state, then deleted by train.py
  monkeypatch.setattr(tf.train, 'checkpoints_iterator',
                      lambda *args, **kwargs: iter([deleted, str(train_dir / 'ckpt-300')]))
  config = eval_config(train_dir, tmp_path / 'continuous', eval_interval_secs=1,
                       max_num_batches=1)
  seen = []
  results = evaluation.evaluate(config, report=seen.append)
  assert [r['step'] for r in seen] == [300] and results['step'] == 300
  assert 'ckpt-5 was deleted before it could be evaluated' in capsys.readouterr().out


# The binaries

def test_train_and_eval_binaries_run_the_demo_recipe(tmp_path):
  train_dir = str(tmp_path / 'run')
  done = run_binary('train.py', '--model=lenet', '--train_dir=' + train_dir,
                    '--max_number_of_steps=3', '--log_every_n_steps=1', '--weight_decay=4e-5')
  assert done.returncode == 0, done.stderr[-2000:]
  assert 'no --dataset_name: training on the embedded digits demo dataset' in done.stdout
  assert 'step 3/3' in done.stdout and 'reg 0.0' not in done.stdout.split('step 3/3')[1][:40]
  evaluated = run_binary('eval.py', '--model=lenet', '--checkpoint_path=' + train_dir,
                         '--max_num_batches=1')
  assert evaluated.returncode == 0, evaluated.stderr[-2000:]
  assert 'top1' in json.loads(evaluated.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize('program, args, message', [
    ('train.py', ['--model=lenet', '--config=nowhere.yaml'], '--config: nowhere.yaml does not '
     'exist'),
    ('train.py', ['--model=lenet', '--dataset_name=flowers'], "'flowers' needs a directory "
     r'\(--dataset_dir\)'),
    ('train.py', ['--model=lenet', '--checkpoint_path=/nowhere/model.ckpt'],
     '--checkpoint_path: /nowhere/model.ckpt does not exist'),
    ('train.py', ['--model=lenet', '--trainable_scopes=Nothing'], '--trainable_scopes=Nothing '
     'matches no trainable variable of lenet'),
    ('train.py', ['--model=lenet', '--optimizer=sgdd'], 'flag --optimizer=sgdd: value should be '
     'one of'),
    ('train.py', ['--model=lenet', 'extra'], 'unexpected arguments extra'),
    ('eval.py', ['--model=lenet'], '--checkpoint_path is required'),
    ('eval.py', ['--model=lenet', '--checkpoint_path=/nowhere'], '/nowhere does not exist'),
])
def test_binary_errors_are_one_line_and_exit_non_zero(program, args, message):
  done = run_binary(program, *args)
  assert done.returncode != 0
  assert 'Traceback' not in done.stderr, done.stderr[-3000:]
  lines = [line for line in done.stderr.splitlines() if line.strip()]
  # Ours is the last line; absl's own flag errors add a line on --helpfull.
  assert any(re.search(message, line) for line in lines[-2:]), lines[-3:]


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_sigint_and_sigterm_save_a_checkpoint_and_exit(tmp_path, signum):
  train_dir = tmp_path / 'stopped'
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=ROOT, PYTHONUNBUFFERED='1')
  process = subprocess.Popen(
      [sys.executable, os.path.join(ROOT, 'train.py'), '--model=lenet',
       '--train_dir=%s' % train_dir, '--max_number_of_steps=100000', '--log_every_n_steps=5'],
      cwd=ROOT, env=env,
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  for line in process.stdout:  # wait for training to run
    if line.startswith('step 10/'):
      break
  process.send_signal(signum)
  out, err = process.communicate(timeout=120)
  name = signal.Signals(signum).name
  assert process.returncode == 128 + signum, err[-2000:]
  assert 'Traceback' not in err
  assert err.strip().splitlines()[-1].startswith('train.py: stopped by %s at step ' % name)
  step = int(out.split('%s: saved step ' % name)[1].split()[0])
  assert step >= 10
  assert tf.train.latest_checkpoint(str(train_dir)).endswith('ckpt-%d' % step)


def test_divergence_stops_without_saving_the_bad_weights(tmp_path):
  config = train_config(tmp_path / 'diverged', optimizer='sgd', learning_rate=1e4,
                        learning_rate_decay_type='fixed', max_number_of_steps=50,
                        save_interval_steps=1)
  with pytest.raises(FloatingPointError, match=r'(at|by) step \d+.*lower --learning_rate') as error:
    training.train(config)
  bad_step = int(re.search(r'(?:at|by) step (\d+)', str(error.value)).group(1))
  latest = tf.train.latest_checkpoint(str(tmp_path / 'diverged'))
  assert latest is not None and int(latest.rsplit('-', 1)[1]) < bad_step
  reader = tf.train.load_checkpoint(latest)
  for name in reader.get_variable_to_shape_map():
    value = reader.get_tensor(name)
    if isinstance(value, np.ndarray) and value.dtype.kind == 'f':
      assert np.all(np.isfinite(value)), name
