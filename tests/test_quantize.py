"""Quantization-aware training as a scope (scopes.quantize, issue 21): where the fake
quantization goes, batch norm folded, the delay, and a QAT run on the embedded digits
from a float checkpoint through eval and an int8_full export without calibration.

The unit tests build nets small (MobileNet v1 0.25 at 32 pixels, a two-layer net); the
run is the recipe configs/demo_qat_digits.yaml, shortened, shared by the module."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tf_slim as slim

import scopes
from binaries import ROOT, run_binary
from engine import checkpoints, evaluation, flags, model_building, tflite_export, training
from engine import config as config_lib
from engine.network import Network
from nets import registry
from scopes import fake_quant
from test_deployed import EXPORT_SCRIPT, _eval_config, _evaluate_export


def _mobilenet(quantized, size=32, **settings):
  spec = registry.get('mobilenet_v1_025')
  scope = spec.arg_scope()
  if quantized:
    scope = scopes.merge(scope, scopes.quantize_scope(**settings))
  net = Network(spec.network_fn, scope, {'num_classes': 10}, name='net')
  net(tf.zeros([1, size, size, 3]))
  return net


def _names(net):
  return {checkpoints.name_of(v): tuple(v.shape) for v in net.variables}


def test_fake_quant_goes_on_weights_and_activations_and_names_stay_the_float_ones():
  float_net, quantized = _mobilenet(False), _mobilenet(True)
  float_names, names = _names(float_net), _names(quantized)
  # Every float variable, same shape; the rest are ranges.
  assert {n: names[n] for n in float_names} == float_names
  extra = set(names) - set(float_names)
  assert extra and all(fake_quant.is_range_name(n) and names[n] == () for n in extra)
  layers = sorted({n.rsplit('/', 1)[0] for n in float_names if n.endswith('weights')})
  assert len(layers) == 28  # Conv2d_0, 13 depthwise + 13 pointwise, the logits
  assert {n.rsplit('/', 2)[0] for n in extra if '/act_quant/' in n} == set(layers)
  # Inputs are quantized only where no quantized layer made them: the image, the pooling.
  assert sorted({n.rsplit('/', 2)[0] for n in extra if '/input_quant/' in n}) == [
      'MobilenetV1/Conv2d_0', 'MobilenetV1/Logits/Conv2d_1c_1x1']
  # The eval graph: one per-channel weight quantization per layer, one activation
  # quantization per range, and no batch norm left (folded).
  graph = tf.function(lambda x: quantized(x, training=False)).get_concrete_function(
      tf.TensorSpec([1, 32, 32, 3])).graph
  ops = [op.type for op in graph.get_operations()]
  for function in graph.as_graph_def().library.function:
    ops += [node.op for node in function.node_def]
  assert ops.count('FakeQuantWithMinMaxVarsPerChannel') == 28
  assert ops.count('FakeQuantWithMinMaxVars') == len(extra) // 2 == 30
  assert not [op for op in ops if 'BatchNorm' in op]


def test_the_scope_nests_in_the_nets_own_in_a_tf1_graph():
  spec = registry.get('mobilenet_v1_025')
  with tf.Graph().as_default() as graph:
    tf.compat.v1.train.get_or_create_global_step()
    images = tf.compat.v1.placeholder(tf.float32, [2, 32, 32, 3])
    with scopes.arg_scope(spec.arg_scope()), scopes.arg_scope(scopes.quantize_scope(5)):
      spec.network_fn(images, num_classes=10, is_training=True)
    names = {v.op.name: tuple(v.shape) for v in tf.compat.v1.global_variables()}
    updates = graph.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
  assert names == dict(_names(_mobilenet(True)), global_step=())
  # TF-Slim's UPDATE_OPS: 27 batch norms' two statistics and 30 ranges' two ends.
  assert len(updates) == 27 * 2 + 30 * 2


def test_residual_sums_and_concatenations_are_quantized():
  def ranges(name, size, num_classes=5):
    spec = registry.get(name)
    net = Network(spec.network_fn, scopes.merge(spec.arg_scope(), scopes.quantize_scope()),
                  {'num_classes': num_classes}, name='net')
    net(tf.zeros([1, size, size, 3]))
    return sorted(n.rsplit('/', 1)[0] for n in _names(net) if n.endswith('_quant/min'))

  resnet = [n for n in ranges('resnet_v1_50', 64) if 'add_quant' in n]
  assert len(resnet) == 16 and resnet[0] == 'resnet_v1_50/block1/unit_1/bottleneck_v1/add_quant'
  inception = [n for n in ranges('inception_v1', 224) if 'concat_quant' in n]
  assert inception == ['InceptionV1/Mixed_%s/concat_quant' % m
                       for m in ('3b', '3c', '4b', '4c', '4d', '4e', '4f', '5b', '5c')]


# Each net quantized with its initial weights and ranges, converted int8_full without
# calibration; `convert` refuses any op left in float. In a child: the converter leaks.
CONVERT_SCRIPT = '''
import sys, tensorflow as tf
import scopes
from engine import tflite_export
from engine.network import Network
from nets import registry
for name, size in ((n.split(':')[0], int(n.split(':')[1])) for n in sys.argv[1:]):
  spec = registry.get(name)
  net = Network(spec.network_fn, scopes.merge(spec.arg_scope(), scopes.quantize_scope()),
                {'num_classes': 5}, name='net')
  net(tf.zeros([1, size, size, 3]))
  function = tflite_export.inference_function(net, size, 1, 'preprocessed', spec.preprocessing)
  (ops,) = tflite_export.read_ops(tflite_export.convert(function, 'int8_full'))
  print(name, len(ops), sorted({op.name for op in ops}))
'''


def test_fully_connected_layers_and_residual_sums_convert_to_integer_ops():
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=ROOT)
  done = subprocess.run([sys.executable, '-c', CONVERT_SCRIPT, 'lenet:28', 'mobilenet_v2:32'],
                        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
  assert done.returncode == 0, done.stderr[-3000:]
  ops = {line.split()[0]: line for line in done.stdout.splitlines()}
  assert "'FULLY_CONNECTED'" in ops['lenet'] and "'ADD'" in ops['mobilenet_v2'], ops


def _two_layers(images, is_training=True, num_classes=None):
  """A convolution and a depthwise convolution, each with batch norm and no activation."""
  del num_classes
  with slim.arg_scope([slim.batch_norm], is_training=is_training, scale=True, decay=0.9):
    net = slim.conv2d(images, 6, [3, 3], normalizer_fn=slim.batch_norm, activation_fn=None,
                      scope='Conv')
    net = slim.separable_conv2d(net, None, [3, 3], depth_multiplier=2,
                                normalizer_fn=slim.batch_norm, activation_fn=None, scope='Depth')
  return net, {}


def _two_layer_nets(**settings):
  """(float net, quantized net) with the same weights and batch norm parameters,
  the statistics and gamma/beta away from their initial values."""
  float_net = Network(_two_layers, {}, name='net')
  quantized = Network(_two_layers, scopes.quantize_scope(**settings), name='net')
  images = tf.random.stateless_normal([4, 8, 8, 3], seed=[1, 2])
  float_net(images)
  quantized(images)
  values = np.random.RandomState(0)
  by_name = {checkpoints.name_of(v): v for v in quantized.variables}
  for variable in float_net.variables:
    name = checkpoints.name_of(variable)
    value = values.uniform(0.5, 1.5, variable.shape) if name.endswith(
        ('moving_variance', 'gamma')) else values.normal(0, 0.5, variable.shape)
    variable.assign(value.astype(np.float32))
    by_name[name].assign(variable)
  return float_net, quantized, images, by_name


def test_folded_batch_norm_equals_convolution_and_batch_norm():
  # 16-bit rounding, ranges wide enough for the outputs: the folding is what is compared.
  float_net, quantized, images, by_name = _two_layer_nets(num_bits=16)
  for name, variable in by_name.items():
    if fake_quant.is_range_name(name):
      variable.assign(-50.0 if name.endswith('min') else 50.0)
  expected, _ = float_net(images, training=False)
  folded, _ = quantized(images, training=False)
  np.testing.assert_allclose(folded, expected, atol=1e-2)
  # In training both normalize by the batch (no rounding before the delay) and update
  # the same moving statistics.
  delayed = Network(_two_layers, scopes.quantize_scope(quant_delay=10, step=tf.constant(0)),
                    name='net')
  delayed(images)
  for variable in delayed.variables:
    variable.assign(by_name[checkpoints.name_of(variable)])
  np.testing.assert_allclose(delayed(images, training=True)[0],
                             float_net(images, training=True)[0], atol=1e-4)
  moving = {checkpoints.name_of(v): v.numpy() for v in float_net.variables if 'moving' in v.name}
  for variable in delayed.variables:
    if 'moving' in variable.name:
      np.testing.assert_allclose(variable.numpy(), moving[checkpoints.name_of(variable)],
                                 rtol=1e-4, atol=1e-5)


def test_quantization_switches_on_after_the_delay():
  step = tf.Variable(0, dtype=tf.int64)
  float_net, quantized, images, by_name = _two_layer_nets(quant_delay=3, step=step)
  train = tf.function(lambda x: quantized(x, training=True)[0])
  before = train(images)
  # Before the delay: float (as batch norm computes it); the ranges are learned already.
  np.testing.assert_allclose(before, float_net(images, training=True)[0], atol=1e-4)
  low = by_name['Depth/act_quant/min'].numpy()
  assert low != -6.0 and abs(low - float(tf.reduce_min(before))) < 0.5
  step.assign(3)
  after = train(images).numpy()
  assert np.abs(after - before.numpy()).max() > 1e-3
  # After: the output lies on the 8-bit grid of its range.
  low, high = by_name['Depth/act_quant/min'].numpy(), by_name['Depth/act_quant/max'].numpy()
  scale = (high - low) / 255
  steps = (after - after.min()) / scale
  np.testing.assert_allclose(steps, np.round(steps), atol=0.02)
  assert len(np.unique(np.round(after, 4))) <= 256


def test_a_net_that_cannot_be_quantized_is_named():
  config = flags.defaults(flags.COMMON, flags.TRAIN, quantize_delay=0)
  with pytest.raises(config_lib.ConfigError, match=r'^--quantize_delay=0: mobilenet_v3_small '
                     r'cannot be quantized \(its hard-swish .*\); quantizable: mobilenet_v1\*'):
    model_building.quantization(registry.get('mobilenet_v3_small'), config)
  with pytest.raises(config_lib.ConfigError, match='runs in float32, not --mixed_precision'):
    model_building.quantization(registry.get('mobilenet_v1'),
                                dict(config, mixed_precision='bfloat16'))
  assert model_building.quantization(registry.get('resnet_v2_50'),
                                     dict(config, quantize_delay=-1)) is None


def test_train_py_refuses_quantize_delay_for_such_a_net_in_one_line(tmp_path):
  done = run_binary('train.py', '--model_name=inception_v2', '--quantize_delay=100',
                    '--train_dir=%s' % tmp_path, '--max_number_of_steps=1')
  lines = done.stderr.strip().splitlines()
  assert done.returncode == 1 and 'Traceback' not in done.stderr, done.stderr[-2000:]
  assert len(lines) == 1 and lines[0].startswith(
      'train.py: error: --quantize_delay=100: inception_v2 cannot be quantized (its first '
      'layer is a separable convolution'), lines


# The recipe, shortened: float training, then QAT fine-tuning from it.
RECIPE = config_lib.load_yaml(os.path.join(ROOT, 'configs', 'demo_qat_digits.yaml'))
FLOAT_STEPS, QAT_STEPS = 600, 100
QAT = dict(quantize_delay=0, max_number_of_steps=QAT_STEPS, learning_rate=0.0005)


def _train(train_dir, **overrides):
  """Trains the recipe; returns (run summary, the lines the trainer said)."""
  keys = flags.names(flags.COMMON, flags.TRAIN) + ['scope']
  recipe = {k: v for k, v in RECIPE.items() if k in keys}  # less eval.py's keys
  config = flags.defaults(flags.COMMON, flags.TRAIN, **dict(
      recipe, train_dir=train_dir, log_every_n_steps=1000, save_summaries_secs=600,
      **overrides))
  trainer = training.Trainer(config)
  said = []
  trainer.say = said.append
  return trainer.run(), said


@pytest.fixture(scope='module')
def run(tmp_path_factory):
  """The float run, the QAT run from it (and resumed 10 steps), their checkpoint
  evaluations, and the int8_full exports of both with their evaluations."""
  root = tmp_path_factory.mktemp('qat')
  dirs = {'float': str(root / 'float'), 'qat': str(root / 'qat')}
  _train(dirs['float'], max_number_of_steps=FLOAT_STEPS)
  result, said = _train(dirs['qat'], checkpoint_path=dirs['float'], **QAT)
  resumed, resumed_said = _train(dirs['qat'], checkpoint_path=dirs['float'],
                                 **dict(QAT, max_number_of_steps=QAT_STEPS + 10))
  evaluations = {}
  for name, directory in dirs.items():
    config = _eval_config(directory, checkpoint_path=directory, eval_dir=directory + '/eval',
                          eval_image_size=RECIPE['eval_image_size'], batch_size=50)
    evaluations[name] = evaluation.evaluate(config, report=lambda r: None)
  exports = {name: str(root / ('%s_int8' % name)) for name in dirs}
  jobs = [(exports[name], directory, dict(format='tflite', quantize='int8_full',
                                          calibration_steps=100))
          for name, directory in dirs.items()]
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=ROOT)
  done = subprocess.run([sys.executable, '-c', EXPORT_SCRIPT, json.dumps(jobs)], cwd=ROOT,
                        env=env, capture_output=True, text=True, timeout=900)
  assert done.returncode == 0, done.stderr[-3000:]
  for name, directory in exports.items():
    evaluations[name + '_int8'] = _evaluate_export(directory)
  return dict(dirs=dirs, said=said, result=result, resumed=resumed, resumed_said=resumed_said,
              evaluations=evaluations, exports=exports)


def test_a_float_checkpoint_warm_starts_qat_and_the_ranges_are_learned(run):
  warm = [line for line in run['said'] if line.startswith('fine-tuning from')]
  assert len(warm) == 1 and 'skipped 0 in --checkpoint_exclude_scopes, left 0 new' in warm[0]
  stored = tf.train.load_checkpoint(run['result']['checkpoint'])
  names = checkpoints.variables_in(run['result']['checkpoint'])
  key = names['MobilenetV1/Conv2d_1_pointwise/act_quant/max'][0]
  assert 0.5 < stored.get_tensor(key) <= 6.0  # learned (from 6.0), within ReLU6
  assert run['result']['step'] == QAT_STEPS


def test_a_qat_checkpoint_resumes(run):
  assert any(line.startswith('resumed from') and 'at step %d' % QAT_STEPS in line
             for line in run['resumed_said']), run['resumed_said']
  assert run['resumed']['step'] == QAT_STEPS + 10


def test_eval_and_export_build_the_qat_graph_for_a_checkpoint_with_ranges(run):
  spec, config = registry.get('mobilenet_v1_025'), flags.defaults(flags.COMMON, flags.EVAL)
  scope = model_building.quantization(spec, dict(config, checkpoint_path=run['dirs']['qat']))
  assert scope is not None and scope.origin == 'scopes.quantize_scope(quant_delay=0)'
  assert model_building.quantization(spec, dict(config, checkpoint_path=run['dirs']['float'])) \
      is None


def test_the_int8_export_of_qat_uses_the_learned_ranges_in_integer_ops(run):
  with open(os.path.join(run['exports']['qat'], 'model.tflite'), 'rb') as f:
    (ops,) = tflite_export.read_ops(f.read())
  assert tflite_export.first_float_op([ops]) is None
  for op in ops:
    assert all(t.dtype in ('int8', 'uint8') for t in op.outputs), op
    assert all(t is None or t.dtype in ('int8', 'uint8', 'int32') for t in op.inputs), op
  # No calibration: the model's input scale is the first layer's learned input range.
  from ai_edge_litert.interpreter import Interpreter
  interpreter = Interpreter(model_path=os.path.join(run['exports']['qat'], 'model.tflite'))
  scale, _ = interpreter.get_input_details()[0]['quantization']
  stored = tf.train.load_checkpoint(run['result']['checkpoint'])
  names = checkpoints.variables_in(run['result']['checkpoint'])
  low, high = (stored.get_tensor(names['MobilenetV1/Conv2d_0/input_quant/%s' % end][0])
               for end in ('min', 'max'))
  assert scale == pytest.approx((high - low) / 255, rel=0.02)


def test_the_int8_export_predicts_as_the_qat_eval_graph(run):
  evaluations = run['evaluations']
  assert evaluations['qat_int8']['evaluated'] == 'tflite/int8_full'
  assert abs(evaluations['qat_int8']['top1'] - evaluations['qat']['top1']) <= 1 / 299 + 1e-9
  assert evaluations['qat_int8']['loss'] == pytest.approx(evaluations['qat']['loss'], abs=0.02)


def test_qat_int8_is_at_least_ptq_int8_and_within_a_point_of_float(run):
  top1 = {name: r['top1'] for name, r in run['evaluations'].items()}
  assert top1['float'] >= 0.8, top1
  assert top1['qat_int8'] >= top1['float_int8'], top1
  assert top1['qat_int8'] >= top1['float'] - 0.01, top1


def test_int8_full_of_a_float_net_without_calibration_says_what_is_missing():
  spec = registry.get('lenet')
  net = Network(spec.network_fn, spec.arg_scope(), {'num_classes': 10}, name='lenet')
  net(tf.zeros([1, 28, 28, 3]))
  function = tflite_export.inference_function(net, 28, 1, 'preprocessed', 'lenet')
  with pytest.raises(config_lib.ConfigError, match=r'^--quantize=int8_full: the model has no '
                     r'fake-quant ranges; give calibration images \(--calibration_dataset\)$'):
    tflite_export.convert(function, 'int8_full')
