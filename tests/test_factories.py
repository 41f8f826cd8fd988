"""Shared scope factories, checked by what they do to real slim layers."""

import pytest
import tensorflow as tf
import tf_slim as slim

import scopes


def _variables(graph):
  return {v.op.name: v.shape.as_list() for v in graph.get_collection('variables')}


def test_layer_scope_with_batch_norm(graph):
  sc = scopes.layer_scope(
      weight_decay=4e-5, weights_initializer=slim.variance_scaling_initializer(),
      use_batch_norm=True, batch_norm_decay=0.9997, batch_norm_epsilon=0.001,
      batch_norm_scale=False, regularize_also=[slim.fully_connected],
      batch_norm_variables_collections={'moving_mean': ['moving_vars'],
                                        'moving_variance': ['moving_vars']})
  with scopes.arg_scope(sc):
    net = slim.conv2d(tf.ones([2, 8, 8, 3]), 4, [3, 3], scope='conv')
    net = slim.fully_connected(slim.flatten(net), 5, activation_fn=None, scope='fc')
  assert _variables(graph) == {
      'conv/weights': [3, 3, 3, 4], 'conv/BatchNorm/beta': [4],
      'conv/BatchNorm/moving_mean': [4], 'conv/BatchNorm/moving_variance': [4],
      'fc/weights': [256, 5], 'fc/biases': [5]}
  moving = [v.op.name for v in graph.get_collection('moving_vars')]
  assert moving == ['conv/BatchNorm/moving_mean', 'conv/BatchNorm/moving_variance']
  losses = graph.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  assert len(losses) == 2  # conv and fc weights
  ops = {op.type for op in graph.get_operations()}
  assert 'Relu' in ops
  bn_params = sc[scopes.arg_scope_func_key(slim.conv2d)]['normalizer_params']
  assert bn_params['decay'] == 0.9997 and bn_params['scale'] is False
  assert sc[scopes.arg_scope_func_key(slim.batch_norm)]['epsilon'] == 0.001


def test_layer_scope_plain(graph):
  sc = scopes.layer_scope(
      weight_decay=0.0, layers=[slim.conv2d, slim.fully_connected],
      biases_initializer=tf.compat.v1.constant_initializer(0.1),
      activation_fn=None, conv_padding='VALID', pool_padding='SAME')
  with scopes.arg_scope(sc):
    net = slim.conv2d(tf.ones([1, 8, 8, 3]), 4, [3, 3], scope='conv')
    pooled = slim.max_pool2d(net, [2, 2], stride=2)
  assert net.shape.as_list() == [1, 6, 6, 4]  # VALID
  assert pooled.shape.as_list() == [1, 3, 3, 4]
  assert not graph.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  assert 'conv/BatchNorm/beta' not in _variables(graph)
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    biases = slim.get_variables_by_name('conv/biases')[0]
    assert sess.run(biases).tolist() == pytest.approx([0.1] * 4)
  desc = scopes.describe(sc)
  assert 'padding' not in desc['slim.fully_connected']
  assert desc['slim.conv2d']['padding'] == 'VALID'


def test_factory_result_does_not_depend_on_the_callers_scope():
  with scopes.arg_scope([slim.conv2d], stride=2):
    sc = scopes.layer_scope()
  assert 'stride' not in sc[scopes.arg_scope_func_key(slim.conv2d)]


def test_scope_for_checks_argument_names():
  with pytest.raises(ValueError, match=r'slim.conv2d takes no argument '
                     r'weight_decay; valid ones: .*activation_fn'):
    scopes.scope_for([slim.conv2d], weight_decay=1e-4)
  assert scopes.l2_regularizer(0) is None
