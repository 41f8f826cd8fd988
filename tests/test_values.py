"""Scope dicts as values: describe, YAML, diff, merge."""

import functools

import keras
import tensorflow as tf
import tf_slim as slim
import yaml

import scopes


def _scope(weight_decay):
  with scopes.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        activation_fn=tf.nn.relu6):
    with scopes.arg_scope([slim.conv2d],
                          weights_initializer=slim.variance_scaling_initializer(),
                          normalizer_fn=slim.batch_norm,
                          normalizer_params={'decay': 0.9, 'scale': True}) as sc:
      return sc


def test_describe_names_ops_and_callables_with_their_parameters():
  desc = scopes.describe(_scope(4e-5))
  assert list(desc) == ['slim.conv2d', 'slim.fully_connected']
  assert desc['slim.conv2d'] == {
      'activation_fn': 'relu6',
      'normalizer_fn': 'slim.batch_norm',
      'normalizer_params': {'decay': 0.9, 'scale': True},
      'weights_initializer':
          "variance_scaling_initializer(factor=2.0, mode='FAN_IN', uniform=False)",
      'weights_regularizer': 'l2_regularizer(scale=4e-05)',
  }
  assert desc['slim.fully_connected'] == {
      'activation_fn': 'relu6', 'weights_regularizer': 'l2_regularizer(scale=4e-05)'}


def test_describe_renders_objects_classes_partials_and_dtypes():
  with scopes.arg_scope([keras.layers.Dense],
                        kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.1),
                        dtype=tf.float32) as sc:
    with scopes.arg_scope([slim.conv2d], activation_fn=functools.partial(
        tf.nn.leaky_relu, alpha=0.2), normalizer_fn=None, padding='VALID',
                          biases_initializer=tf.compat.v1.zeros_initializer()) as sc:
      pass
  desc = scopes.describe(sc)
  assert desc['keras.layers.Dense'] == {
      'dtype': 'float32',
      'kernel_initializer': 'TruncatedNormal(seed=None, mean=0.0, stddev=0.1)'}
  assert desc['slim.conv2d']['activation_fn'] == 'leaky_relu(alpha=0.2)'
  assert desc['slim.conv2d']['biases_initializer'] == "Zeros(dtype='float32')"
  assert desc['slim.conv2d']['normalizer_fn'] is None
  assert scopes.op_name('<function my_op at 0x1234>') == 'my_op'
  assert scopes.op_name("<class 'pkg.mod.MyLayer'>") == 'pkg.mod.MyLayer'


def test_yaml_holds_the_description():
  sc = _scope(4e-5)
  text = scopes.to_yaml(sc)
  assert yaml.safe_load(text) == scopes.describe(sc)
  assert 'weights_regularizer: l2_regularizer(scale=4e-05)' in text
  assert text in repr(scopes.Scope(sc))


def test_diff_compares_by_description():
  assert scopes.diff(_scope(4e-5), _scope(4e-5)) == {}
  with scopes.arg_scope(_scope(1e-4)):
    with scopes.arg_scope([slim.max_pool2d], padding='SAME') as b:
      pass
  assert scopes.diff(_scope(4e-5), b) == {
      'slim.conv2d': {'weights_regularizer': ['l2_regularizer(scale=4e-05)',
                                              'l2_regularizer(scale=0.0001)']},
      'slim.fully_connected': {'weights_regularizer': [
          'l2_regularizer(scale=4e-05)', 'l2_regularizer(scale=0.0001)']},
      'slim.max_pool2d': {'padding': ['<unset>', 'SAME']},
  }


def test_merge_equals_entering_one_scope_inside_the_other():
  a = _scope(4e-5)
  with scopes.arg_scope(a):
    with scopes.arg_scope([slim.conv2d], padding='VALID', activation_fn=None):
      with scopes.arg_scope([slim.max_pool2d], stride=1) as nested:
        pass
  b = scopes.merge(
      {scopes.arg_scope_func_key(slim.conv2d): {'padding': 'VALID', 'activation_fn': None}},
      {scopes.arg_scope_func_key(slim.max_pool2d): {'stride': 1}})
  merged = scopes.merge(a, b)
  assert isinstance(merged, scopes.Scope) and isinstance(merged, dict)
  assert merged == nested
  assert a == _scope(4e-5) or scopes.diff(a, _scope(4e-5)) == {}  # inputs untouched
  assert 'padding' not in a[scopes.arg_scope_func_key(slim.conv2d)]
