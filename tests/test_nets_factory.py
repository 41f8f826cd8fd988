"""nets.nets_factory: TF-Slim's module, read from the registry."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tf_slim as slim

from nets import inception_utils, nets_factory, registry, resnet_v1, vgg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The names TF-Slim's own nets_factory lists (research/slim/nets/nets_factory.py).
TF_SLIM_NAMES = (
    'alexnet_v2', 'cifarnet', 'overfeat', 'vgg_a', 'vgg_16', 'vgg_19', 'inception_v1',
    'inception_v2', 'inception_v3', 'inception_v4', 'inception_resnet_v2', 'i3d', 's3dg',
    'lenet', 'resnet_v1_50', 'resnet_v1_101', 'resnet_v1_152', 'resnet_v1_200',
    'resnet_v2_50', 'resnet_v2_101', 'resnet_v2_152', 'resnet_v2_200', 'mobilenet_v1',
    'mobilenet_v1_075', 'mobilenet_v1_050', 'mobilenet_v1_025', 'mobilenet_v2',
    'mobilenet_v2_140', 'mobilenet_v2_035', 'nasnet_cifar', 'nasnet_mobile', 'nasnet_large',
    'pnasnet_large', 'pnasnet_mobile')

REGULARIZATION_LOSSES = tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES
UPDATE_OPS = tf.compat.v1.GraphKeys.UPDATE_OPS


def test_maps_hold_the_registrys_names_as_dicts_do():
  names = registry.list_models()
  assert len(names) == 40
  for mapping in (nets_factory.networks_map, nets_factory.arg_scopes_map):
    assert list(mapping.keys()) == names == list(mapping)
    assert len(mapping) == 40
    assert set(TF_SLIM_NAMES) <= set(mapping)
    assert 'vgg_16' in mapping and 'vgg16' not in mapping and None not in mapping
    with pytest.raises(KeyError, match='vgg16'):
      mapping['vgg16']
    assert mapping.get('vgg16') is None
    assert dict(mapping.items())['lenet'] is mapping['lenet']
  assert nets_factory.networks_map['vgg_16'] is vgg.vgg_16
  assert nets_factory.networks_map['resnet_v1_101'] is resnet_v1.resnet_v1_101
  assert nets_factory.arg_scopes_map['vgg_19'] is vgg.vgg_arg_scope
  assert nets_factory.arg_scopes_map['inception_v3'] is inception_utils.inception_arg_scope
  for name in names:
    spec = registry.get(name)
    assert nets_factory.networks_map[name] is spec.network_fn
    assert nets_factory.arg_scopes_map[name] is spec.arg_scope_fn
  assert "'lenet': lenet" in repr(nets_factory.networks_map)


def test_one_get_network_fn_serves_both_imports():
  assert nets_factory.get_network_fn is registry.get_network_fn
  with pytest.raises(ValueError, match=r"^unknown model 'vgg16'; did you mean vgg_16") as error:
    nets_factory.get_network_fn('vgg16', num_classes=10)
  assert '\n' not in str(error.value)


@pytest.mark.parametrize('name, classes', [('lenet', 10), ('cifarnet', 7)])
def test_logits_at_the_default_image_size(graph, name, classes):
  network_fn = nets_factory.get_network_fn(name, num_classes=classes)
  size = network_fn.default_image_size
  assert size == registry.get(name).default_image_size
  assert network_fn.__name__ == name
  logits, end_points = network_fn(tf.zeros([1, size, size, 3]))
  assert logits.shape.as_list() == [1, classes]
  assert end_points['Predictions'].shape.as_list() == [1, classes]


def test_weight_decay_reaches_the_regularizers():
  def regularization(weight_decay):
    with tf.Graph().as_default() as graph:
      network_fn = nets_factory.get_network_fn('lenet', 10, weight_decay=weight_decay)
      network_fn(tf.zeros([1, 28, 28, 3]))
      losses = graph.get_collection(REGULARIZATION_LOSSES)
      weights = [v for v in graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)
                 if v.op.name.endswith('weights')]
      with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        return sess.run([tf.add_n(losses) if losses else tf.constant(0.0),
                         tf.add_n([tf.nn.l2_loss(w) for w in weights])]), len(losses)

  (total, l2), count = regularization(0.01)
  assert count == 4  # conv1, conv2, fc3 and fc4's weights
  np.testing.assert_allclose(total, 0.01 * l2, rtol=1e-5)
  # Zero disables TF-Slim's l2_regularizer: no losses at all, not zero-valued ones.
  assert regularization(0.0)[1] == 0


def _batch_norm_ops(graph):
  return [op for op in graph.get_operations() if op.type.startswith('FusedBatchNorm')]


@pytest.mark.parametrize('is_training', [False, True])
def test_is_training_reaches_batch_norm(graph, is_training):
  network_fn = nets_factory.get_network_fn('resnet_v1_50', 10, is_training=is_training)
  network_fn(tf.zeros([1, 32, 32, 3]))
  batch_norms = _batch_norm_ops(graph)
  assert len(batch_norms) == 53  # every convolution but the logits
  assert {op.get_attr('is_training') for op in batch_norms} == {is_training}
  # Inference reads the moving averages and updates nothing.
  assert len(graph.get_collection(UPDATE_OPS)) == (106 if is_training else 0)


def test_num_classes_zero_or_none_returns_the_features(graph):
  for num_classes in (0, None):
    network_fn = nets_factory.get_network_fn('inception_v1', num_classes)
    net, end_points = network_fn(tf.zeros([1, 224, 224, 3]), reuse=num_classes is None)
    assert net.shape.as_list() == [1, 1, 1, 1024]
    assert 'Logits' not in end_points and 'Predictions' not in end_points
  assert not [v for v in tf.compat.v1.global_variables() if '/Logits/' in v.op.name]


def test_network_keywords_pass_through(graph):
  network_fn = nets_factory.get_network_fn('inception_v1', 5)
  logits, _ = network_fn(tf.zeros([1, 64, 64, 3]), spatial_squeeze=False, global_pool=True,
                         scope='Other')
  assert logits.shape.as_list() == [1, 1, 1, 5]
  assert {v.op.name.split('/')[0] for v in tf.compat.v1.global_variables()} == {'Other'}


def test_scope_is_entered_inside_the_callers_arg_scope(graph):
  # TF-Slim calls the model's scope factory inside network_fn, so defaults set
  # around the call stay where the model's scope does not set them.
  network_fn = nets_factory.get_network_fn('lenet', 10)
  with slim.arg_scope([slim.conv2d], trainable=False, activation_fn=tf.nn.relu6):
    network_fn(tf.zeros([1, 28, 28, 3]))
  trainable = {v.op.name for v in tf.compat.v1.trainable_variables()}
  assert trainable == {'LeNet/fc3/weights', 'LeNet/fc3/biases',
                       'LeNet/fc4/weights', 'LeNet/fc4/biases'}
  # lenet_arg_scope sets the activation: the model's scope wins there.
  assert not [op for op in graph.get_operations() if op.type == 'Relu6']


def test_a_tf_slim_style_script_runs():
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', PYTHONPATH=ROOT)
  done = subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'slim_style_script.py'),
                         'inception_v1'], cwd=ROOT, env=env, capture_output=True, text=True,
                        timeout=600)
  assert done.returncode == 0, done.stderr[-2000:]
  assert 'logits inception_v1 [1, 10]' in done.stdout
  assert 'predictions [None, 10]' in done.stdout
