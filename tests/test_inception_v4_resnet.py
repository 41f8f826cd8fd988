"""Inception v4 and Inception-ResNet-v2: the API beyond the generic net tests.

final_endpoint, output_stride, align_feature_maps, create_aux_logits, other
input sizes, the errors for bad arguments, the block functions, the arg scope,
and the arithmetic of the residual blocks and of the branch concatenation
(which the manifests cannot check). Most tests only construct graphs, without
the batch-norm arg scope, because shapes and names do not depend on it.
"""

import numpy as np
import pytest
import tensorflow as tf
import tf_slim as slim

import nets_reference as ref
import scopes
from nets import inception_resnet_v2
from nets import inception_utils
from nets import inception_v4
from nets import registry

V4_END_POINTS = (['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'Mixed_3a', 'Mixed_4a',
                  'Mixed_5a'] + ['Mixed_5' + c for c in 'bcde'] + ['Mixed_6a'] +
                 ['Mixed_6' + c for c in 'bcdefgh'] + ['Mixed_7a'] +
                 ['Mixed_7' + c for c in 'bcd'])
IRV2_END_POINTS = ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'MaxPool_3a_3x3',
                   'Conv2d_3b_1x1', 'Conv2d_4a_3x3', 'MaxPool_5a_3x3', 'Mixed_5b', 'Mixed_6a',
                   'PreAuxLogits', 'Mixed_7a', 'Conv2d_7b_1x1']
# Scopes with variables that the residual stages add before an end point.
IRV2_STAGES = {'Mixed_6a': ['Repeat'], 'PreAuxLogits': ['Repeat_1'],
               'Conv2d_7b_1x1': ['Repeat_2', 'Block8']}


def _manifest_shapes(name):
  return dict((k, v) for k, v in ref.manifest(name)['end_points'])


def _top_scopes(graph):
  """The scopes right under the net's scope that hold variables."""
  return {v.op.name.split('/')[1] for v in graph.get_collection('variables')}


def _placeholder(size=299, batch=1):
  return tf.compat.v1.placeholder(tf.float32, [batch, size, size, 3])


# Inception v4.

def test_v4_base_stops_at_each_end_point():
  shapes = _manifest_shapes('inception_v4')
  for i, name in enumerate(V4_END_POINTS):
    with tf.Graph().as_default() as graph:
      net, end_points = inception_v4.inception_v4_base(_placeholder(), final_endpoint=name)
      assert list(end_points) == V4_END_POINTS[:i + 1]
      assert net is end_points[name]
      assert net.shape.as_list() == shapes[name], name
      assert _top_scopes(graph) == set(V4_END_POINTS[:i + 1])  # nothing past it


def test_v4_bad_final_endpoint(graph):
  with pytest.raises(ValueError, match='Unknown final endpoint Mixed_8a'):
    inception_v4.inception_v4_base(_placeholder(), final_endpoint='Mixed_8a')
  assert not graph.get_collection('variables')


def test_v4_unknown_size_without_aux_logits(graph):
  logits, end_points = inception_v4.inception_v4(
      tf.compat.v1.placeholder(tf.float32, [2, None, None, 3]), create_aux_logits=False)
  assert logits.shape.as_list() == [2, 1001]
  assert 'AuxLogits' not in end_points
  assert not [v for v in graph.get_collection('variables') if 'AuxLogits' in v.op.name]
  assert end_points['global_pool'].shape.as_list() == [2, 1, 1, 1536]
  assert end_points['global_pool'].op.type == 'Mean'  # no static size to pool over
  assert end_points['Mixed_7d'].shape.as_list() == [2, None, None, 1536]


def test_v4_larger_input(graph):
  logits, end_points = inception_v4.inception_v4(_placeholder(400), num_classes=10,
                                                 scope='V4')
  assert logits.shape.as_list() == [1, 10]
  assert end_points['Mixed_6h'].shape.as_list() == [1, 23, 23, 1024]
  assert end_points['Mixed_7d'].shape.as_list() == [1, 11, 11, 1536]
  assert end_points['global_pool'].shape.as_list() == [1, 1, 1, 1536]
  assert end_points['AuxLogits'].shape.as_list() == [1, 10]
  # The auxiliary head's kernel covers its whole map: 7x7 here, 5x5 at 299.
  aux = slim.get_variables_by_name('V4/AuxLogits/Conv2d_2a/weights')[0]
  assert aux.shape.as_list() == [7, 7, 128, 768]


@pytest.mark.parametrize('fn, depth, size, out_shape, default_scope', [
    (inception_v4.block_inception_a, 384, 9, [2, 9, 9, 384], 'BlockInceptionA'),
    (inception_v4.block_reduction_a, 384, 9, [2, 4, 4, 1024], 'BlockReductionA'),
    (inception_v4.block_inception_b, 1024, 9, [2, 9, 9, 1024], 'BlockInceptionB'),
    (inception_v4.block_reduction_b, 1024, 9, [2, 4, 4, 1536], 'BlockReductionB'),
    (inception_v4.block_inception_c, 1536, 3, [2, 3, 3, 1536], 'BlockInceptionC'),
])
def test_v4_block_functions(graph, fn, depth, size, out_shape, default_scope):
  inputs = tf.zeros([2, size, size, depth])
  assert fn(inputs).shape.as_list() == out_shape
  count = len(graph.get_collection('variables'))
  fn(inputs)  # a second block gets a unique default scope
  assert _top_level(graph) == {default_scope, default_scope + '_1'}
  fn(inputs, scope=default_scope, reuse=True)
  assert len(graph.get_collection('variables')) == 2 * count


def _top_level(graph):
  return {v.op.name.split('/')[0] for v in graph.get_collection('variables')}


def _run(graph, fetches, feed=None):
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    return sess.run(fetches, feed)


def test_v4_inception_c_concatenates_in_table_order(graph):
  """Channels of Inception-C, in order: Branch_0, Branch_1 1x3 then 3x1,
  Branch_2 1x3 then 3x1, Branch_3 (plain convs with biases and ReLU)."""
  tf.compat.v1.set_random_seed(0)
  out = inception_v4.block_inception_c(tf.constant(ref.images([1, 3, 3, 1536])))
  parts = ['Branch_0/Conv2d_0a_1x1', 'Branch_1/Conv2d_0b_1x3', 'Branch_1/Conv2d_0c_3x1',
           'Branch_2/Conv2d_0d_1x3', 'Branch_2/Conv2d_0e_3x1', 'Branch_3/Conv2d_0b_1x1']
  tensors = [graph.get_tensor_by_name('BlockInceptionC/%s/Relu:0' % p) for p in parts]
  out, tensors = _run(graph, [out, tensors])
  np.testing.assert_array_equal(out, np.concatenate(tensors, axis=3))
  assert [t.shape[3] for t in tensors] == [256] * 6


def test_v4_arg_scope_and_registry():
  assert inception_v4.inception_v4_arg_scope is inception_utils.inception_arg_scope
  assert inception_v4.inception_v4.default_image_size == 299
  spec = registry.get('inception_v4')
  assert spec.logits_scopes == ('InceptionV4/Logits', 'InceptionV4/AuxLogits')
  assert (spec.num_classes, spec.preprocessing, spec.checkpoint) == (
      1001, 'inception', 'inception_v4_2016_09_09.tar.gz')


# Inception-ResNet-v2.

def test_irv2_base_stops_at_each_end_point():
  shapes = _manifest_shapes('inception_resnet_v2')
  for i, name in enumerate(IRV2_END_POINTS):
    with tf.Graph().as_default() as graph:
      net, end_points = inception_resnet_v2.inception_resnet_v2_base(
          _placeholder(), final_endpoint=name)
      assert list(end_points) == IRV2_END_POINTS[:i + 1]
      assert net is end_points[name]
      assert net.shape.as_list() == shapes[name], name
      expected = set()
      for built in IRV2_END_POINTS[:i + 1]:
        if not built.startswith('MaxPool'):
          expected.update(IRV2_STAGES.get(built, []) + [built])
      expected.discard('PreAuxLogits')  # an end point, not a scope
      assert _top_scopes(graph) == expected


@pytest.mark.parametrize('kwargs, message', [
    (dict(output_stride=32), 'output_stride must be 8 or 16'),
    (dict(output_stride=8), 'output_stride==8 is only supported up to the PreAuxlogits'),
    (dict(output_stride=8, final_endpoint='Mixed_7a'), 'only supported up to'),
    (dict(final_endpoint='Mixed_8a'), r'final_endpoint \(Mixed_8a\) not recognized'),
])
def test_irv2_bad_arguments(graph, kwargs, message):
  with pytest.raises(ValueError, match=message):
    inception_resnet_v2.inception_resnet_v2_base(_placeholder(), **kwargs)
  assert not graph.get_collection('variables')


def test_irv2_output_stride_8(graph):
  net, end_points = inception_resnet_v2.inception_resnet_v2_base(
      _placeholder(), final_endpoint='PreAuxLogits', output_stride=8)
  # Mixed_6a keeps the 35x35 resolution (less its VALID border).
  assert end_points['Mixed_5b'].shape.as_list() == [1, 35, 35, 320]
  assert end_points['Mixed_6a'].shape.as_list() == [1, 33, 33, 1088]
  assert net.shape.as_list() == [1, 33, 33, 1088]
  # The 17x17 blocks are atrous (rate 2: a space-to-batch of block 2).
  block_shape = graph.get_tensor_by_name('InceptionResnetV2/Repeat_1/block17_1/Branch_1/'
                                         'Conv2d_0b_1x7/Conv2D/SpaceToBatchND/block_shape:0')
  assert tf.get_static_value(block_shape).tolist() == [2, 2]


def test_irv2_align_feature_maps(graph):
  _, end_points = inception_resnet_v2.inception_resnet_v2_base(
      _placeholder(), align_feature_maps=True)
  sizes = {name: t.shape.as_list()[1] for name, t in end_points.items()}
  assert sizes == {
      'Conv2d_1a_3x3': 150, 'Conv2d_2a_3x3': 150, 'Conv2d_2b_3x3': 150,
      'MaxPool_3a_3x3': 75, 'Conv2d_3b_1x1': 75, 'Conv2d_4a_3x3': 75,
      'MaxPool_5a_3x3': 38, 'Mixed_5b': 38, 'Mixed_6a': 19, 'PreAuxLogits': 19,
      'Mixed_7a': 10, 'Conv2d_7b_1x1': 10}
  assert end_points['Conv2d_7b_1x1'].shape[3] == 1536


def test_irv2_unknown_size_without_aux_logits(graph):
  logits, end_points = inception_resnet_v2.inception_resnet_v2(
      tf.compat.v1.placeholder(tf.float32, [2, None, None, 3]), num_classes=7,
      create_aux_logits=False)
  assert logits.shape.as_list() == [2, 7]
  assert 'AuxLogits' not in end_points
  assert not [v for v in graph.get_collection('variables') if 'AuxLogits' in v.op.name]
  assert end_points['global_pool'].shape.as_list() == [2, 1, 1, 1536]
  assert end_points['global_pool'].op.type == 'Mean'
  assert end_points['PreLogitsFlatten'].shape.as_list() == [2, 1536]


def _blocks_graph(fn, shape, **kwargs):
  """fn on a random input, plain convs (biases, ReLU): (graph, input, output)."""
  graph = tf.Graph()
  with graph.as_default():
    tf.compat.v1.set_random_seed(0)
    inputs = tf.constant(ref.images(shape, seed=1))
    return graph, inputs, fn(inputs, **kwargs)


@pytest.mark.parametrize('activation_fn', [tf.nn.relu, None])
def test_irv2_block35_with_scale_0_is_the_activation(activation_fn):
  graph, inputs, out = _blocks_graph(inception_resnet_v2.block35, [2, 5, 5, 320],
                                     scale=0.0, activation_fn=activation_fn)
  inputs, out = _run(graph, [inputs, out])
  expected = np.maximum(inputs, 0) if activation_fn else inputs
  np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize('fn, depth, branches, scale, activation_fn', [
    (inception_resnet_v2.block17, 1088,
     ['Branch_0/Conv2d_1x1', 'Branch_1/Conv2d_0c_7x1'], 0.1, tf.nn.relu),
    (inception_resnet_v2.block8, 2080,
     ['Branch_0/Conv2d_1x1', 'Branch_1/Conv2d_0c_3x1'], 20.0, tf.nn.relu6),
])
def test_irv2_residual_arithmetic(fn, depth, branches, scale, activation_fn):
  """out = act(x + scale * conv1x1(concat(branches in order))), the residual
  clipped to [-6, 6] under relu6."""
  graph, inputs, out = _blocks_graph(fn, [1, 3, 3, depth], scale=scale,
                                     activation_fn=activation_fn)
  name = 'Block17' if fn is inception_resnet_v2.block17 else 'Block8'
  up = graph.get_tensor_by_name(name + '/Conv2d_1x1/BiasAdd:0')
  mixed = graph.get_operation_by_name(name + '/Conv2d_1x1/Conv2D').inputs[0]
  parts = [graph.get_tensor_by_name('%s/%s/Relu:0' % (name, b)) for b in branches]
  inputs, out, up, mixed, parts = _run(graph, [inputs, out, up, mixed, parts])
  np.testing.assert_array_equal(mixed, np.concatenate(parts, axis=3))
  residual = scale * up
  if activation_fn is tf.nn.relu6:
    assert np.abs(residual).max() > 6  # the clip matters here
    residual = np.clip(residual, -6, 6)
    expected = np.clip(inputs + residual, 0, 6)
  else:
    expected = np.maximum(inputs + residual, 0)
  np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_irv2_block_scopes_and_reuse(graph):
  inputs = tf.zeros([1, 5, 5, 320])
  inception_resnet_v2.block35(inputs)
  count = len(graph.get_collection('variables'))
  inception_resnet_v2.block35(inputs, scope='Block35', reuse=True)
  assert len(graph.get_collection('variables')) == count
  names = {v.op.name for v in graph.get_collection('variables')}
  assert names == {'Block35/Branch_0/Conv2d_1x1/weights', 'Block35/Branch_0/Conv2d_1x1/biases',
                   'Block35/Branch_1/Conv2d_0a_1x1/weights',
                   'Block35/Branch_1/Conv2d_0a_1x1/biases',
                   'Block35/Branch_1/Conv2d_0b_3x3/weights',
                   'Block35/Branch_1/Conv2d_0b_3x3/biases',
                   'Block35/Branch_2/Conv2d_0a_1x1/weights',
                   'Block35/Branch_2/Conv2d_0a_1x1/biases',
                   'Block35/Branch_2/Conv2d_0b_3x3/weights',
                   'Block35/Branch_2/Conv2d_0b_3x3/biases',
                   'Block35/Branch_2/Conv2d_0c_3x3/weights',
                   'Block35/Branch_2/Conv2d_0c_3x3/biases',
                   'Block35/Conv2d_1x1/weights', 'Block35/Conv2d_1x1/biases'}


def test_irv2_arg_scope():
  relu_scope = {
      'slim.conv2d': {
          'activation_fn': 'relu',
          'biases_regularizer': 'l2_regularizer(scale=4e-05)',
          'normalizer_fn': 'slim.batch_norm',
          'normalizer_params': {'decay': 0.9997, 'epsilon': 0.001, 'fused': None,
                                'scale': False, 'updates_collections': 'update_ops'},
          'weights_regularizer': 'l2_regularizer(scale=4e-05)'},
      'slim.fully_connected': {
          'biases_regularizer': 'l2_regularizer(scale=4e-05)',
          'weights_regularizer': 'l2_regularizer(scale=4e-05)'}}
  assert scopes.describe(inception_resnet_v2.inception_resnet_v2_arg_scope()) == relu_scope
  other = scopes.describe(inception_resnet_v2.inception_resnet_v2_arg_scope(
      weight_decay=1e-3, batch_norm_decay=0.99, batch_norm_epsilon=1e-5,
      activation_fn=tf.nn.relu6, batch_norm_updates_collections=None,
      batch_norm_scale=True))
  assert other['slim.conv2d']['activation_fn'] == 'relu6'
  assert other['slim.conv2d']['normalizer_params'] == {
      'decay': 0.99, 'epsilon': 1e-5, 'fused': None, 'scale': True,
      'updates_collections': None}
  assert other['slim.fully_connected']['biases_regularizer'] == 'l2_regularizer(scale=0.001)'


def test_irv2_arg_scope_regularizes_weights_and_biases(graph):
  with scopes.arg_scope(inception_resnet_v2.inception_resnet_v2_arg_scope()):
    net = inception_resnet_v2.block35(tf.zeros([1, 5, 5, 320]))
    slim.fully_connected(slim.flatten(net), 3)
  losses = graph.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  # 6 branch conv weights, the residual conv's weights and biases, fc weights
  # and biases.
  assert len(losses) == 10
  names = {v.op.name for v in graph.get_collection('variables')}
  assert 'Block35/Branch_0/Conv2d_1x1/BatchNorm/beta' in names
  assert 'Block35/Branch_0/Conv2d_1x1/biases' not in names  # batch norm, no bias
  assert 'Block35/Conv2d_1x1/biases' in names


def test_irv2_registry():
  assert inception_resnet_v2.inception_resnet_v2.default_image_size == 299
  spec = registry.get('inception_resnet_v2')
  assert spec.arg_scope_fn is inception_resnet_v2.inception_resnet_v2_arg_scope
  assert spec.logits_scopes == ('InceptionResnetV2/Logits', 'InceptionResnetV2/AuxLogits')
  assert (spec.num_classes, spec.preprocessing, spec.checkpoint) == (
      1001, 'inception', 'inception_resnet_v2_2016_08_30.tar.gz')
