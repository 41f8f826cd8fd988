"""Issue 22's training part: gradient accumulation under each strategy, step/multistep
schedules with cooldown, drop path and dropout from the flags, recipes that include
recipes, and learning_rate_per_256."""

import json

import numpy as np
import pytest
import tensorflow as tf
import yaml

from binaries import free_port, run_binary, start_worker, worker_result
from engine import config as config_lib
from engine import flags, model_building, optimizers, training
from engine.config import ConfigError
from nets import registry

# LeNet without dropout and with weight decay: an update of K micro-batches is then
# the update of one K-times-larger batch, up to float rounding.
LENET = dict(model_name='lenet', optimizer='sgd', seed=1, dropout_keep_prob=1.0,
             weight_decay=1e-3, log_every_n_steps=1, save_summaries_secs=1000,
             save_interval_secs=1000)


def train_config(train_dir, **overrides):
  return flags.defaults(flags.COMMON, flags.TRAIN, train_dir=str(train_dir),
                        **dict(LENET, **overrides))


def _weights(trainer):
  return {v.name: v.numpy() for v in trainer.net.variables}


# Gradient accumulation

@pytest.fixture(scope='module')
def accumulated_and_whole(tmp_path_factory):
  """Three updates of LeNet: 2 micro-batches of 4 (learning rate per 256 images), and
  batches of 8 at the rate that computes to."""
  runs = {}
  for name, overrides in (('accumulated', dict(batch_size=4, gradient_accumulation_steps=2,
                                               learning_rate_per_256=0.032)),
                          ('whole', dict(batch_size=8, learning_rate=0.001))):
    train_dir = tmp_path_factory.mktemp(name)
    trainer = training.Trainer(train_config(train_dir, max_number_of_steps=3, **overrides))
    result = trainer.run()
    runs[name] = (train_dir, trainer, result)
  return runs


def test_accumulated_micro_batches_update_as_one_larger_batch(accumulated_and_whole):
  _, accumulated, result = accumulated_and_whole['accumulated']
  _, whole, whole_result = accumulated_and_whole['whole']
  assert result['step'] == whole_result['step'] == 3  # steps count updates
  assert int(accumulated.optimizer.iterations.numpy()) == 3
  assert result['checkpoint'].endswith('ckpt-3')
  np.testing.assert_allclose(result['losses'], whole_result['losses'], rtol=1e-5)
  assert result['losses'][0] != result['losses'][2]  # the weights moved
  expected = _weights(whole)
  for name, value in _weights(accumulated).items():
    np.testing.assert_allclose(value, expected[name], rtol=1e-4, atol=1e-6, err_msg=name)


def test_the_resolved_config_shows_the_computed_learning_rate(accumulated_and_whole, capsys):
  train_dir, trainer, _ = accumulated_and_whole['accumulated']
  written = yaml.safe_load((train_dir / 'config.yaml').read_text())
  assert written['learning_rate'] == pytest.approx(0.001)  # 0.032 x 8 / 256
  assert written['learning_rate_per_256'] == 0.032
  assert written['resolved']['global_batch_size'] == 8  # 1 replica x 4 x 2 micro-batches
  assert float(trainer.schedule(0)) == pytest.approx(0.001)
  # The progress line counts every micro-batch's images: 2 updates of 8 in 2 seconds.
  capsys.readouterr()
  trainer._window = (1, 100.0)
  trainer._log_progress(3, 102.0, 1.0, 0.0, 0.5)
  assert '8.0 images/s' in capsys.readouterr().out


def _assert_same_training(result, expected):
  assert result['step'] == expected['step']
  np.testing.assert_allclose(result['losses'], expected['losses'], rtol=1e-5)
  for name, replicas in result['weights'].items():
    assert len(set(replicas)) == 1, name  # every replica holds the same weights
    np.testing.assert_allclose(replicas, expected['weights'][name], rtol=1e-4, err_msg=name)


def test_accumulation_under_the_mirrored_strategy(tmp_path):
  configs = [train_config(tmp_path / name, strategy='mirrored', max_number_of_steps=2,
                          learning_rate=0.01, **overrides)
             for name, overrides in (('accumulated', dict(batch_size=2,
                                                          gradient_accumulation_steps=3)),
                                     ('whole', dict(batch_size=6)))]
  accumulated, whole = worker_result(start_worker(configs, cpus=2), every=True)
  assert accumulated['replicas'] == 2
  _assert_same_training(accumulated, whole)


def test_accumulation_under_the_multi_worker_strategy(tmp_path):
  """Two workers, each feeding its own shard: micro-batches of 2 twice over, and batches
  of 4 (each worker reads the same examples either way)."""
  results = {}
  for name, overrides in (('accumulated', dict(batch_size=2, gradient_accumulation_steps=2)),
                          ('whole', dict(batch_size=4))):
    config = train_config(tmp_path / name, strategy='multi_worker', max_number_of_steps=2,
                          learning_rate=0.01, **overrides)
    workers = ['127.0.0.1:%d' % free_port() for _ in range(2)]
    processes = [start_worker(config, env={'TF_CONFIG': json.dumps(
        {'cluster': {'worker': workers}, 'task': {'type': 'worker', 'index': i}})})
        for i in range(2)]
    results[name] = [worker_result(p) for p in processes]
    assert tf.train.latest_checkpoint(str(tmp_path / name)).endswith('ckpt-2')
  for accumulated, whole in zip(results['accumulated'], results['whole'], strict=True):
    assert accumulated['replicas'] == 2
    _assert_same_training(accumulated, whole)


def test_batch_norm_normalizes_and_updates_per_micro_batch(tmp_path):
  """One accumulated update of a batch-norm net moves the moving averages as two
  training passes over its micro-batches do, one after the other."""
  config = train_config(tmp_path, model_name='mobilenet_v1_025', train_image_size=32,
                        batch_size=2, gradient_accumulation_steps=2, weight_decay=None,
                        dropout_keep_prob=None)
  trainer = training.Trainer(config)
  spec, num_classes = trainer.spec, trainer.data.num_classes
  micro, whole = (model_building.build_network(spec, config, num_classes) for _ in range(2))
  for reference in (micro, whole):
    reference(tf.zeros([1, 32, 32, 3]))
    for mine, theirs in zip(reference.variables, trainer.net.variables, strict=True):
      mine.assign(theirs)
  images = tf.random.stateless_uniform([4, 32, 32, 3], seed=[1, 2], minval=-1, maxval=1)
  trainer.step_function()(images, tf.constant([0, 1, 2, 3], tf.int64))
  micro(images[:2], training=True)
  micro(images[2:], training=True)
  whole(images, training=True)
  moving = [i for i, v in enumerate(micro.variables) if 'moving_' in v.name]
  assert len(moving) > 20
  for i in moving:
    np.testing.assert_allclose(trainer.net.variables[i].numpy(), micro.variables[i].numpy(),
                               rtol=1e-5, atol=1e-6, err_msg=micro.variables[i].name)
  # Not the statistics of the whole batch of 4.
  assert not np.allclose(trainer.net.variables[moving[0]].numpy(),
                         whole.variables[moving[0]].numpy(), rtol=1e-3)


# Schedules

def _schedule(steps_per_epoch=10, total_steps=100, **overrides):
  config = flags.defaults(flags.COMMON, flags.TRAIN, learning_rate=0.1, **overrides)
  schedule = optimizers.make_schedule(config, steps_per_epoch, total_steps)
  return lambda *steps: [float(schedule(s)) for s in steps]


def test_step_and_multistep_schedules_with_warm_up_and_cooldown():
  multistep = _schedule(learning_rate_decay_type='multistep', learning_rate_boundaries='3,6.5',
                        learning_rate_factor=0.5)
  assert multistep(0, 29, 30, 64, 65, 99) == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
  step = _schedule(learning_rate_decay_type='step', num_epochs_per_decay=4.0,
                   learning_rate_factor=0.1)
  assert step(0, 39, 40, 80) == pytest.approx([0.1, 0.1, 0.01, 0.001])
  warm = _schedule(learning_rate_decay_type='multistep', learning_rate_boundaries='3',
                   warmup_epochs=1.0)
  assert warm(0, 4, 9, 10, 29, 30) == pytest.approx([0.01, 0.05, 0.1, 0.1, 0.1, 0.01])
  # Cosine decays over the 80 steps before the last 2 epochs, which hold its final rate.
  cosine = _schedule(learning_rate_decay_type='cosine', cooldown_epochs=2.0,
                     end_learning_rate=0.001)
  assert cosine(0, 40, 80, 90, 99) == pytest.approx([0.1, 0.0505, 0.001, 0.001, 0.001])
  cooled = _schedule(learning_rate_decay_type='cosine', cooldown_epochs=2.0, warmup_epochs=2.0,
                     end_learning_rate=0.0)
  assert cooled(0, 19, 50, 80, 95) == pytest.approx([0.005, 0.1, 0.05, 0.0, 0.0], abs=1e-7)
  exponential = _schedule(learning_rate_decay_type='exponential', num_epochs_per_decay=1.0,
                          learning_rate_decay_factor=0.5, cooldown_epochs=5.0)
  assert exponential(10, 40, 50, 99) == pytest.approx([0.05, 0.00625, 0.003125, 0.003125])


@pytest.mark.parametrize('overrides, message', [
    (dict(learning_rate_boundaries='30,x'), r"boundaries=30,x: 'x' is not a number of epochs"),
    (dict(learning_rate_boundaries='60,30'), r'boundaries=60,30: the boundaries must increase '
                                             r'\(60 then 30\)'),
    (dict(learning_rate_boundaries='3,3'), 'must increase'),
    (dict(learning_rate_boundaries=None), 'multistep needs --learning_rate_boundaries'),
    (dict(learning_rate_boundaries='0,3'), 'positive and finite'),
    (dict(learning_rate_boundaries='3', cooldown_epochs=10.0), r'--cooldown_epochs=10 is 100 '
                                                                r'steps; the run has 100'),
    (dict(learning_rate_boundaries='3', cooldown_epochs=-1.0), 'must be at least 0'),
])
def test_bad_schedules_are_one_line(overrides, message):
  with pytest.raises(optimizers.OptimizerError, match=message) as error:
    _schedule(learning_rate_decay_type='multistep', **overrides)
  assert '\n' not in str(error.value)


# Recipes

def _write(directory, name, text):
  path = directory / name
  path.parent.mkdir(parents=True, exist_ok=True)
  path.write_text(text)
  return str(path)


def test_recipes_include_recipes(tmp_path):
  _write(tmp_path, 'base/model.yaml', 'model_name: lenet\nbatch_size: 32\nlearning_rate: 0.1\n'
         'scope:\n  weight_decay: 0.001\n')
  _write(tmp_path, 'base/schedule.yaml', 'include: model.yaml\noptimizer: momentum\n'
         'learning_rate_decay_type: multistep\nlearning_rate_boundaries: [30, 60, 80]\n')
  path = _write(tmp_path, 'runs/long.yaml', 'include: ../base/schedule.yaml\nbatch_size: 64\n'
                'learning_rate_per_256: 0.1\nscope:\n  batch_norm_decay: 0.9\n')
  recipe = config_lib.load_yaml(path)
  assert recipe == {'model_name': 'lenet', 'batch_size': 64, 'optimizer': 'momentum',
                    'learning_rate_decay_type': 'multistep',
                    'learning_rate_boundaries': [30, 60, 80], 'learning_rate_per_256': 0.1,
                    'scope': {'weight_decay': 0.001, 'batch_norm_decay': 0.9}}
  defaults = flags.defaults(flags.COMMON, flags.TRAIN)
  parsers = {'learning_rate_boundaries': str, 'batch_size': int}
  config = config_lib.resolve(defaults, recipe, parsers=parsers)
  assert config['learning_rate_boundaries'] == '30,60,80'
  # The base's learning_rate gave way to the recipe's learning_rate_per_256; the command
  # line's learning_rate gives way to neither: it replaces.
  assert config['learning_rate'] == 0.01 and config['learning_rate_per_256'] == 0.1
  config = config_lib.resolve(defaults, recipe, {'learning_rate': 0.3}, parsers=parsers)
  assert config['learning_rate'] == 0.3 and config['learning_rate_per_256'] is None
  two = _write(tmp_path, 'runs/two.yaml', 'include: [../base/model.yaml, long.yaml]\n')
  assert config_lib.load_yaml(two)['batch_size'] == 64


@pytest.mark.parametrize('files, message', [
    ({'a.yaml': 'include: b.yaml\n', 'b.yaml': 'include: c.yaml\n', 'c.yaml': 'include: a.yaml\n'},
     r'include cycle .*a\.yaml -> .*b\.yaml -> .*c\.yaml -> .*a\.yaml$'),
    ({'a.yaml': 'include: a.yaml\n'}, r'include cycle .*a\.yaml -> .*a\.yaml$'),
    ({'a.yaml': 'include: nowhere/base.yaml\n'},
     r'a\.yaml includes nowhere/base\.yaml, which does not exist'),
    ({'a.yaml': 'include: {x: 1}\n'}, 'include must name a recipe file or a list of them'),
    ({'a.yaml': 'include: b.yaml\nlearning_rate: 0.1\nlearning_rate_per_256: 0.1\n',
      'b.yaml': 'batch_size: 8\n'}, 'a.yaml sets both learning_rate and learning_rate_per_256; '
     'give one of them'),
])
def test_bad_includes_are_one_line(tmp_path, files, message):
  for name, text in files.items():
    _write(tmp_path, name, text)
  with pytest.raises(ConfigError, match=message) as error:
    config_lib.load_yaml(str(tmp_path / 'a.yaml'))
  assert '\n' not in str(error.value)


def test_learning_rate_and_its_per_256_form_are_not_both_given():
  with pytest.raises(ConfigError, match='sets both learning_rate and learning_rate_per_256'):
    flags.defaults(flags.COMMON, flags.TRAIN, learning_rate=0.1, learning_rate_per_256=0.1)
  with pytest.raises(ConfigError, match='r.yaml sets both'):
    config_lib.resolve({'learning_rate': 0.01, 'learning_rate_per_256': None},
                       {'learning_rate': 0.1, 'learning_rate_per_256': 0.1}, recipe_name='r.yaml')


# Network arguments from the flags

def test_drop_path_ramps_over_the_run_from_the_optimizer_step():
  spec = registry.get('nasnet_cifar')
  step = tf.Variable(0, dtype=tf.int64)
  config = flags.defaults(flags.COMMON, flags.TRAIN, drop_path_keep_prob=0.5,
                          dropout_keep_prob=0.8)
  kwargs = model_building.network_kwargs(spec, config, 10, current_step=step, total_steps=50)
  net_config = kwargs['config']
  assert (net_config.drop_path_keep_prob, net_config.total_training_steps,
          net_config.dense_dropout_keep_prob) == (0.5, 50, 0.8)
  assert kwargs['current_step'] is step
  net_config.set_hparam('num_cells', 3)  # a small NASNet: the test is of drop path
  net_config.set_hparam('use_aux_head', 0)
  net_config.set_hparam('dense_dropout_keep_prob', 1.0)  # drop path the only randomness
  net = model_building.Network(spec.network_fn, spec.arg_scope(), kwargs)
  images = tf.random.stateless_uniform([4, 32, 32, 3], seed=[3, 4])
  train = tf.function(lambda: net(images, training=True)[0])
  at_start = [train().numpy() for _ in range(2)]
  np.testing.assert_allclose(at_start[0], at_start[1], rtol=1e-5)  # keep 1 at step 0
  step.assign(50)
  at_end = [train().numpy() for _ in range(2)]
  assert not np.allclose(at_end[0], at_end[1], rtol=1e-3)  # paths dropped at random
  assert not [v.name for v in net.variables if 'global_step' in v.name]
  for name in ('pnasnet_mobile', 'nasnet_large'):
    kwargs = model_building.network_kwargs(registry.get(name), config, 10, step, 50)
    assert kwargs['config'].drop_path_keep_prob == 0.5 and kwargs['current_step'] is step
  # Evaluation: the model's own config, no step.
  assert model_building.network_kwargs(spec, config, 10) == {'num_classes': 10}


def test_training_ramps_drop_path_on_the_optimizer_step_over_the_run(tmp_path, monkeypatch):
  built = []
  build_network = model_building.build_network

  def recording(spec, config, num_classes, current_step=None, total_steps=None):
    built.append((current_step, total_steps))
    return build_network(spec, config, num_classes, current_step, total_steps)

  monkeypatch.setattr(training, 'build_network', recording)
  trainer = training.Trainer(train_config(tmp_path, max_number_of_steps=7, batch_size=2))
  assert built == [(trainer.optimizer.iterations, 7)]


@pytest.mark.parametrize('model, overrides, message', [
    ('lenet', dict(drop_path_keep_prob=0.7), '--drop_path_keep_prob: lenet has no drop path; '
     'NASNet and PNASNet'),
    ('resnet_v1_50', dict(dropout_keep_prob=0.7), '--dropout_keep_prob: resnet_v1_50 takes no '
     'dropout_keep_prob'),
    ('lenet', dict(dropout_keep_prob=0.0), r'--dropout_keep_prob=0: a keep probability is in '
     r'\(0, 1\]'),
    ('nasnet_mobile', dict(drop_path_keep_prob=1.5), '--drop_path_keep_prob=1.5'),
])
def test_network_flags_a_model_lacks_are_one_line(model, overrides, message):
  config = flags.defaults(flags.COMMON, flags.TRAIN, **overrides)
  with pytest.raises(ConfigError, match=message):
    model_building.network_kwargs(registry.get(model), config, 10)
  assert model_building.network_kwargs(registry.get('lenet'), flags.defaults(
      flags.COMMON, flags.TRAIN, dropout_keep_prob=0.9), 10)['dropout_keep_prob'] == 0.9


def test_bad_flags_and_include_cycles_are_one_line_from_train_py(tmp_path):
  with pytest.raises(ConfigError, match='--gradient_accumulation_steps=0: must be at least 1'):
    train_config(tmp_path, gradient_accumulation_steps=0)
  _write(tmp_path, 'a.yaml', 'include: b.yaml\n')
  _write(tmp_path, 'b.yaml', 'include: a.yaml\n')
  completed = run_binary('train.py', '--config=%s' % (tmp_path / 'a.yaml'))
  assert completed.returncode == 1
  assert completed.stderr.strip().splitlines() == ['train.py: error: --config: include cycle '
                                                   '%s -> %s -> %s' % tuple(
      str(tmp_path / n) for n in ('a.yaml', 'b.yaml', 'a.yaml'))]


def test_mixed_soft_labels_accumulate_as_one_larger_batch(tmp_path):
  """Mixup and CutMix mix a replica's whole batch of micro-batches, so the update with
  soft labels (and label smoothing) is still that of one larger batch."""
  runs = []
  for name, overrides in (('accumulated', dict(batch_size=4, gradient_accumulation_steps=2)),
                          ('whole', dict(batch_size=8))):
    trainer = training.Trainer(train_config(
        tmp_path / name, max_number_of_steps=2, learning_rate=0.001, mixup_alpha=0.4,
        cutmix_alpha=1.0, label_smoothing=0.1, **overrides))
    runs.append((trainer.run(), _weights(trainer)))
  (accumulated, weights), (whole, expected) = runs
  np.testing.assert_allclose(accumulated['losses'], whole['losses'], rtol=1e-5)
  for name, value in weights.items():
    np.testing.assert_allclose(value, expected[name], rtol=1e-4, atol=1e-6, err_msg=name)
