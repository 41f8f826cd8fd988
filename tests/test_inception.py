"""Inception v1, v2 and v3: the family API beyond the generic tests of test_nets.py.

Every final_endpoint of the bases, depth_multiplier and min_depth, global_pool
and other input sizes, spatial_squeeze, create_aux_logits, v2's data_format,
separable stem and include_root_block, the errors TF-Slim raises, and the shared
table builder (nets.inception_blocks). Then, given the same weights, the same
variables, initializers, end points and logits as tf_slim.nets' Inception.

Shapes are checked on graphs that are built, never run, and without an
arg_scope where only shapes matter (batch norm makes building slower).
"""

import inspect

import numpy as np
import pytest
import tensorflow as tf
from tf_slim.nets import inception_v1 as slim_inception_v1
from tf_slim.nets import inception_v2 as slim_inception_v2
from tf_slim.nets import inception_v3 as slim_inception_v3

import nets_reference as ref
import scopes
from nets import inception_blocks as ib
from nets import inception_utils
from nets import inception_v1
from nets import inception_v2
from nets import inception_v3
from nets import registry

MODULES = {'inception_v1': inception_v1, 'inception_v2': inception_v2,
           'inception_v3': inception_v3}
SLIM_MODULES = {'inception_v1': slim_inception_v1, 'inception_v2': slim_inception_v2,
                'inception_v3': slim_inception_v3}

# TF-Slim's end points of each base, in the order they are built.
BASE_END_POINTS = {
    'inception_v1': [
        'Conv2d_1a_7x7', 'MaxPool_2a_3x3', 'Conv2d_2b_1x1', 'Conv2d_2c_3x3',
        'MaxPool_3a_3x3', 'Mixed_3b', 'Mixed_3c', 'MaxPool_4a_3x3', 'Mixed_4b',
        'Mixed_4c', 'Mixed_4d', 'Mixed_4e', 'Mixed_4f', 'MaxPool_5a_2x2', 'Mixed_5b',
        'Mixed_5c'],
    'inception_v2': [
        'Conv2d_1a_7x7', 'MaxPool_2a_3x3', 'Conv2d_2b_1x1', 'Conv2d_2c_3x3',
        'MaxPool_3a_3x3', 'Mixed_3b', 'Mixed_3c', 'Mixed_4a', 'Mixed_4b', 'Mixed_4c',
        'Mixed_4d', 'Mixed_4e', 'Mixed_5a', 'Mixed_5b', 'Mixed_5c'],
    'inception_v3': [
        'Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'MaxPool_3a_3x3',
        'Conv2d_3b_1x1', 'Conv2d_4a_3x3', 'MaxPool_5a_3x3', 'Mixed_5b', 'Mixed_5c',
        'Mixed_5d', 'Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e',
        'Mixed_7a', 'Mixed_7b', 'Mixed_7c'],
}


def base_fn(name):
  return getattr(MODULES[name], name + '_base')


def net_fn(name):
  return getattr(MODULES[name], name)


def placeholder(shape):
  return tf.compat.v1.placeholder(tf.float32, shape)


def shapes(end_points):
  return {k: v.shape.as_list() for k, v in end_points.items()}


def manifest_shapes(name, keys):
  known = dict(ref.manifest(name)['end_points'])
  return {k: known[k] for k in keys}


def variables(graph):
  return {v.op.name: v.shape.as_list() for v in graph.get_collection('variables')}


# -- the API ---------------------------------------------------------------------------

SIGNATURES = {
    inception_v1.inception_v1_base: ['inputs', 'final_endpoint=Mixed_5c',
                                     'include_root_block=True', 'scope=InceptionV1'],
    inception_v2.inception_v2_base: ['inputs', 'final_endpoint=Mixed_5c', 'min_depth=16',
                                     'depth_multiplier=1.0', 'use_separable_conv=True',
                                     'data_format=NHWC', 'include_root_block=True',
                                     'scope=None'],
    inception_v3.inception_v3_base: ['inputs', 'final_endpoint=Mixed_7c', 'min_depth=16',
                                     'depth_multiplier=1.0', 'scope=None'],
    inception_v1.inception_v1: ['inputs', 'num_classes=1000', 'is_training=True',
                                'dropout_keep_prob=0.8', 'prediction_fn=softmax',
                                'spatial_squeeze=True', 'reuse=None', 'scope=InceptionV1',
                                'global_pool=False'],
    inception_v2.inception_v2: ['inputs', 'num_classes=1000', 'is_training=True',
                                'dropout_keep_prob=0.8', 'min_depth=16',
                                'depth_multiplier=1.0', 'prediction_fn=softmax',
                                'spatial_squeeze=True', 'reuse=None', 'scope=InceptionV2',
                                'global_pool=False'],
    inception_v3.inception_v3: ['inputs', 'num_classes=1000', 'is_training=True',
                                'dropout_keep_prob=0.8', 'min_depth=16',
                                'depth_multiplier=1.0', 'prediction_fn=softmax',
                                'spatial_squeeze=True', 'reuse=None',
                                'create_aux_logits=True', 'scope=InceptionV3',
                                'global_pool=False'],
}


@pytest.mark.parametrize('fn', list(SIGNATURES), ids=lambda fn: fn.__name__)
def test_signature_is_tf_slims(fn):
  params = []
  for p in inspect.signature(fn).parameters.values():
    default = getattr(p.default, '__name__', p.default)
    params.append(p.name if p.default is p.empty else '%s=%s' % (p.name, default))
  assert params == SIGNATURES[fn]
  assert fn.__doc__


@pytest.mark.parametrize('name', list(MODULES))
def test_module_attributes_and_registry(name):
  module = MODULES[name]
  assert getattr(module, name + '_arg_scope') is inception_utils.inception_arg_scope
  assert net_fn(name).default_image_size == ref.manifest(name)['default_image_size']
  assert module.trunc_normal(0.5).stddev == 0.5
  spec = registry.get(name)
  assert spec.network_fn is net_fn(name)
  assert spec.arg_scope_fn is inception_utils.inception_arg_scope
  assert (spec.num_classes, spec.preprocessing) == (1001, 'inception')
  assert spec.checkpoint == ref.manifest(name)['official_checkpoint']
  top = {'inception_v1': 'InceptionV1', 'inception_v2': 'InceptionV2',
         'inception_v3': 'InceptionV3'}[name]
  expected = (top + '/Logits',) + ((top + '/AuxLogits',) if name == 'inception_v3' else ())
  assert spec.logits_scopes == expected


def test_arg_scope_defaults():
  conv = scopes.describe(inception_v3.inception_v3_arg_scope(weight_decay=0.01))['slim.conv2d']
  assert conv['weights_regularizer'] == 'l2_regularizer(scale=0.01)'
  assert conv['normalizer_fn'] == 'slim.batch_norm'
  assert conv['normalizer_params']['decay'] == 0.9997
  assert conv['normalizer_params']['epsilon'] == 0.001
  assert conv['normalizer_params']['scale'] is False


def test_reduced_kernel_size_for_small_input(graph):
  for module in (inception_v2, inception_v3):
    reduce = module._reduced_kernel_size_for_small_input
    assert reduce(placeholder([1, 3, 5, 8]), [8, 8]) == [3, 5]
    assert reduce(placeholder([1, 9, 9, 8]), [8, 8]) == [8, 8]
    assert reduce(placeholder([1, None, None, 8]), [8, 8]) == [8, 8]


# -- the bases: every final end point ------------------------------------------------------

@pytest.mark.parametrize('name, end_point', [(n, e) for n, points in BASE_END_POINTS.items()
                                             for e in points])
def test_base_builds_up_to_each_final_endpoint(graph, name, end_point):
  size = ref.manifest(name)['default_image_size']
  net, end_points = base_fn(name)(placeholder([1, size, size, 3]), final_endpoint=end_point)
  built = BASE_END_POINTS[name][:BASE_END_POINTS[name].index(end_point) + 1]
  assert list(end_points) == built
  assert net is end_points[end_point]
  assert shapes(end_points) == manifest_shapes(name, built)


@pytest.mark.parametrize('name', list(MODULES))
def test_unknown_final_endpoint(graph, name):
  with pytest.raises(ValueError, match='Unknown final endpoint Mixed_9z'):
    base_fn(name)(placeholder([1, 224, 224, 3]), final_endpoint='Mixed_9z')
  assert not graph.get_operations()[1:]  # raised before building anything


@pytest.mark.parametrize('name, channels', [('inception_v1', [256, 480]),
                                            ('inception_v2', [256, 320])])
def test_without_root_block(graph, name, channels):
  inputs = placeholder([1, 28, 28, 192])
  net, end_points = base_fn(name)(inputs, final_endpoint='Mixed_3c', include_root_block=False)
  assert shapes(end_points) == {'Mixed_3b': [1, 28, 28, channels[0]],
                                'Mixed_3c': [1, 28, 28, channels[1]]}
  assert not [v for v in variables(graph) if 'Conv2d_1a_7x7' in v]
  with pytest.raises(ValueError, match='Unknown final endpoint Conv2d_1a_7x7'):
    base_fn(name)(inputs, final_endpoint='Conv2d_1a_7x7', include_root_block=False)


# -- depth_multiplier and min_depth ----------------------------------------------------------

@pytest.mark.parametrize('name', ['inception_v2', 'inception_v3'])
def test_half_depth_halves_every_end_point(graph, name):
  size = ref.manifest(name)['default_image_size']
  _, end_points = base_fn(name)(placeholder([1, size, size, 3]), depth_multiplier=0.5)
  full = manifest_shapes(name, BASE_END_POINTS[name])
  assert shapes(end_points) == {k: s[:3] + [s[3] // 2] for k, s in full.items()}


def test_v2_min_depth_and_separable_stem(graph):
  _, end_points = inception_v2.inception_v2_base(
      placeholder([1, 224, 224, 3]), final_endpoint='Mixed_3b', min_depth=8,
      depth_multiplier=0.1)
  # 64 -> max(6, 8) = 8 channels; the depthwise step makes int(8 / 3) = 2 per input.
  assert variables(graph)['InceptionV2/Conv2d_1a_7x7/depthwise_weights'] == [7, 7, 3, 2]
  assert variables(graph)['InceptionV2/Conv2d_1a_7x7/pointwise_weights'] == [1, 1, 6, 8]
  # Mixed_3b: 64 -> 8 | 64 -> 8, 64 -> 8 | 64 -> 8, 96 -> 9, 96 -> 9 | 32 -> 8.
  assert end_points['Mixed_3b'].shape.as_list() == [1, 28, 28, 8 + 8 + 9 + 8]


def test_v3_min_depth(graph):
  logits, end_points = inception_v3.inception_v3(
      placeholder([1, 299, 299, 3]), num_classes=10, min_depth=16, depth_multiplier=0.1)
  assert end_points['Conv2d_1a_3x3'].shape.as_list() == [1, 149, 149, 16]  # 3.2 -> 16
  assert end_points['Mixed_5b'].shape.as_list() == [1, 35, 35, 4 * 16]
  # 320 -> 32 | 384 -> 38, 2 x 38 | 448 -> 44, 38, 2 x 38 | 192 -> 19
  assert end_points['Mixed_7c'].shape.as_list() == [1, 8, 8, 32 + 76 + 76 + 19]
  assert variables(graph)['InceptionV3/AuxLogits/Conv2d_2a_5x5/weights'] == [5, 5, 16, 76]
  assert logits.shape.as_list() == [1, 10]


@pytest.mark.parametrize('fn', [inception_v2.inception_v2, inception_v2.inception_v2_base,
                                inception_v3.inception_v3, inception_v3.inception_v3_base],
                         ids=lambda fn: fn.__name__)
@pytest.mark.parametrize('depth_multiplier', [0.0, -1.0])
def test_depth_multiplier_must_be_positive(graph, fn, depth_multiplier):
  with pytest.raises(ValueError, match='depth_multiplier is not greater than zero'):
    fn(placeholder([1, 224, 224, 3]), depth_multiplier=depth_multiplier)


# -- inception_v2's options ------------------------------------------------------------------

def test_v2_plain_stem_and_nchw(graph):
  net, end_points = inception_v2.inception_v2_base(
      placeholder([1, 3, 224, 224]), final_endpoint='Mixed_4a', use_separable_conv=False,
      data_format='NCHW')
  assert variables(graph)['InceptionV2/Conv2d_1a_7x7/weights'] == [7, 7, 3, 64]
  assert end_points['Conv2d_1a_7x7'].shape.as_list() == [1, 64, 112, 112]
  assert end_points['Mixed_3b'].shape.as_list() == [1, 256, 28, 28]
  assert net.shape.as_list() == [1, 576, 14, 14]


def test_v2_data_format_errors(graph):
  with pytest.raises(ValueError, match='NHWC or NCHW'):
    inception_v2.inception_v2_base(placeholder([1, 224, 224, 3]), data_format='NWHC')
  with pytest.raises(ValueError, match='use_separable_conv=False'):
    inception_v2.inception_v2_base(placeholder([1, 3, 224, 224]), data_format='NCHW')


# -- other input sizes, global_pool, spatial_squeeze, aux logits ----------------------------

# The Logits pooling has TF-Slim's default stride 2 in v2 and v3, stride 1 in v1.
@pytest.mark.parametrize('name, size, pool, features, pooled', [
    ('inception_v1', 320, 'AvgPool_0a_7x7', [1, 10, 10, 1024], [1, 4, 4, 1024]),
    ('inception_v2', 320, 'AvgPool_1a', [1, 10, 10, 1024], [1, 2, 2, 1024]),
    ('inception_v3', 400, 'AvgPool_1a', [1, 11, 11, 2048], [1, 2, 2, 2048]),
])
def test_larger_input_fully_convolutional_or_global_pool(name, size, pool, features, pooled):
  last = BASE_END_POINTS[name][-1]
  for global_pool in (False, True):
    with tf.Graph().as_default():
      logits, end_points = net_fn(name)(placeholder([1, size, size, 3]), num_classes=10,
                                        spatial_squeeze=False, global_pool=global_pool)
      assert end_points[last].shape.as_list() == features
      if global_pool:
        assert pool not in end_points
        assert end_points['global_pool'].shape.as_list() == [1, 1, 1, features[3]]
        assert logits.shape.as_list() == [1, 1, 1, 10]
      else:
        assert 'global_pool' not in end_points
        assert end_points[pool].shape.as_list() == pooled
        assert logits.shape.as_list() == pooled[:3] + [10]


def test_v3_small_input_and_unknown_batch(graph):
  logits, end_points = inception_v3.inception_v3(placeholder([None, 150, 150, 3]),
                                                 num_classes=1001)
  assert end_points['Mixed_6e'].shape.as_list() == [None, 7, 7, 768]
  assert end_points['Mixed_7c'].shape.as_list() == [None, 3, 3, 2048]
  assert end_points['AvgPool_1a'].shape.as_list() == [None, 1, 1, 2048]
  assert logits.shape.as_list() == end_points['AuxLogits'].shape.as_list() == [None, 1001]
  # The fixed kernels shrink to the feature map, and the layer names follow.
  assert variables(graph)['InceptionV3/AuxLogits/Conv2d_2a_1x1/weights'] == [1, 1, 128, 768]
  assert graph.get_operation_by_name('InceptionV3/Logits/AvgPool_1a_3x3/AvgPool')


def test_v1_unknown_height_and_width(graph):
  logits, end_points = inception_v1.inception_v1(placeholder([2, None, None, 3]),
                                                 num_classes=5, global_pool=True)
  assert end_points['Mixed_5c'].shape.as_list() == [2, None, None, 1024]
  assert end_points['global_pool'].shape.as_list() == [2, 1, 1, 1024]
  assert logits.shape.as_list() == [2, 5]


def test_v2_small_input(graph):
  _, end_points = inception_v2.inception_v2(placeholder([1, 112, 112, 3]), num_classes=5)
  assert end_points['Mixed_5c'].shape.as_list() == [1, 4, 4, 1024]
  assert end_points['AvgPool_1a'].shape.as_list() == [1, 1, 1, 1024]
  assert graph.get_operation_by_name('InceptionV2/Logits/AvgPool_1a_4x4/AvgPool')


def test_v3_spatial_squeeze_false_keeps_both_logits_4d(graph):
  logits, end_points = inception_v3.inception_v3(placeholder([1, 299, 299, 3]),
                                                 num_classes=7, spatial_squeeze=False)
  assert logits.shape.as_list() == [1, 1, 1, 7]
  assert end_points['AuxLogits'].shape.as_list() == [1, 1, 1, 7]
  assert end_points['Predictions'].shape.as_list() == [1, 1, 1, 7]


def test_v3_without_aux_logits(graph):
  logits, end_points = inception_v3.inception_v3(placeholder([1, 299, 299, 3]),
                                                 num_classes=7, create_aux_logits=False)
  assert 'AuxLogits' not in end_points
  assert not [v for v in variables(graph) if '/AuxLogits/' in v]
  assert logits.shape.as_list() == [1, 7]
  expected = {k for k, _ in ref.manifest('inception_v3')['end_points']} - {'AuxLogits'}
  assert set(end_points) == expected


# -- the table builder -------------------------------------------------------------------------

def test_block_names_order_and_fork(graph):
  table = (
      ib.conv(4, 3, 'Conv2d_1a_3x3', stride=2),
      ib.block('Mixed_1b',
               [ib.avg_pool(3, 'AvgPool_0a_3x3', padding='SAME')],
               [ib.conv(8, 1, 'Conv2d_0a_1x1'),
                ib.fork(ib.conv(8, (1, 3), 'Conv2d_0b_1x3'),
                        ib.conv(6, (3, 1), 'Conv2d_0b_3x1'))]),
  )
  assert ib.end_point_names(table) == ['Conv2d_1a_3x3', 'Mixed_1b']
  inputs = tf.random.uniform([1, 9, 9, 3], seed=1)
  net, end_points = ib.build_base(inputs, table, 'Mixed_1b', depth=lambda d: 2 * d)
  assert variables(graph) == {
      'Conv2d_1a_3x3/weights': [3, 3, 3, 8], 'Conv2d_1a_3x3/biases': [8],
      'Mixed_1b/Branch_1/Conv2d_0a_1x1/weights': [1, 1, 8, 16],
      'Mixed_1b/Branch_1/Conv2d_0a_1x1/biases': [16],
      'Mixed_1b/Branch_1/Conv2d_0b_1x3/weights': [1, 3, 16, 16],
      'Mixed_1b/Branch_1/Conv2d_0b_1x3/biases': [16],
      'Mixed_1b/Branch_1/Conv2d_0b_3x1/weights': [3, 1, 16, 12],
      'Mixed_1b/Branch_1/Conv2d_0b_3x1/biases': [12]}
  assert net.shape.as_list() == [1, 5, 5, 8 + 16 + 12]  # VALID, the conv2d default
  # Branch_0 comes first in the concatenation.
  pooled = tf.nn.avg_pool2d(end_points['Conv2d_1a_3x3'], 3, 1, 'SAME')
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    out, expected = sess.run([net, pooled])
  np.testing.assert_allclose(out[..., :8], expected, rtol=1e-6)


def test_builder_errors(graph):
  with pytest.raises(ValueError, match='Unknown final endpoint Conv2d_9z'):
    ib.build_base(placeholder([1, 8, 8, 3]), (ib.conv(4, 1, 'Conv2d_1a_1x1'),), 'Conv2d_9z')
  with pytest.raises(TypeError, match='not an Inception table item'):
    ib.build(placeholder([1, 8, 8, 3]), 'Conv2d_1a_1x1')


def test_layer_options_and_initializer(graph):
  layer = ib.conv(4, 1, 'Conv2d_0a_1x1', stddev=0.09, activation_fn=None)
  net = ib.build(placeholder([1, 8, 8, 3]), layer)
  assert net.op.type == 'BiasAdd'  # no activation
  stddev = graph.get_tensor_by_name(
      'Conv2d_0a_1x1/weights/Initializer/truncated_normal/stddev:0')
  assert float(tf.get_static_value(stddev)) == pytest.approx(0.09)


# -- against tf_slim.nets --------------------------------------------------------------------

def _initializer_stddevs(graph):
  """{variable: stddev} of the truncated-normal initializers in a graph."""
  suffix = '/Initializer/truncated_normal/stddev'
  return {op.name[:-len(suffix)]: float(tf.get_static_value(op.outputs[0]))
          for op in graph.get_operations() if op.name.endswith(suffix)}


class Twins:
  """Ours and tf_slim.nets' model, each in its own graph under its own default
  arg_scope, given the same random weights and batch-norm statistics."""

  def __init__(self, name):
    shape = ref.input_shape(name)
    self.graphs, self.end_points, self.outputs = [], [], []
    for fn, arg_scope in ((net_fn(name), getattr(MODULES[name], name + '_arg_scope')),
                          (getattr(SLIM_MODULES[name], name),
                           getattr(SLIM_MODULES[name], name + '_arg_scope'))):
      graph = tf.Graph()
      with graph.as_default(), scopes.arg_scope(arg_scope()):
        inputs = placeholder(shape)
        logits, end_points = fn(inputs, num_classes=1001, is_training=False)
        end_points = dict(end_points, logits=logits)
      self.graphs.append(graph)
      self.end_points.append((inputs, end_points))
    ours, theirs = self.end_points
    self.common = sorted(set(ours[1]) & set(theirs[1]))
    values = self._random_weights(self.graphs[0])
    images = ref.images(shape)
    for graph, (inputs, end_points) in zip(self.graphs, self.end_points, strict=True):
      with graph.as_default(), tf.compat.v1.Session() as sess:
        feeds, assigns = {}, []
        for var in graph.get_collection('variables'):  # one run assigns all
          value = placeholder(var.shape)
          feeds[value] = values[var.op.name]
          assigns.append(var.assign(value))
        sess.run(assigns, feeds)
        fetches = {k: end_points[k] for k in self.common}
        self.outputs.append(sess.run(fetches, {inputs: images}))

  @staticmethod
  def _random_weights(graph):
    rng = np.random.RandomState(0)
    values = {}
    for var in graph.get_collection('variables'):
      shape, name = var.shape.as_list(), var.op.name
      if name.endswith('moving_variance'):
        values[name] = rng.uniform(0.5, 1.5, shape)
      elif name.endswith(('weights', 'depthwise_weights', 'pointwise_weights')):
        fan_in = np.prod(shape[:-1])
        values[name] = rng.normal(0, np.sqrt(2.0 / fan_in), shape)
      else:  # beta, moving_mean, biases
        values[name] = rng.normal(0, 0.2, shape)
    return values


@pytest.fixture(scope='module', params=list(MODULES))
def twins(request):
  return Twins(request.param)


def test_same_variables_initializers_and_losses_as_tf_slim(twins):
  ours, theirs = twins.graphs
  assert variables(ours) == variables(theirs)
  assert _initializer_stddevs(ours) == _initializer_stddevs(theirs)
  for collection in ('moving_vars', tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES):
    assert len(ours.get_collection(collection)) == len(theirs.get_collection(collection)) > 0


def test_same_end_points_and_logits_as_tf_slim(twins):
  (_, ours), (_, theirs) = twins.end_points
  # tf_slim 1.1.0 predates the AvgPool_1a / AvgPool_0a_7x7 and PreLogits keys.
  assert set(theirs) - set(ours) == set()
  assert set(ours) - set(theirs) <= {'AvgPool_0a_7x7', 'AvgPool_1a', 'PreLogits'}
  assert {k: ours[k].shape.as_list() for k in twins.common} == {
      k: theirs[k].shape.as_list() for k in twins.common}
  assert 'logits' in twins.common
  for key in twins.common:
    mine, reference = twins.outputs[0][key], twins.outputs[1][key]
    scale = max(1.0, float(np.abs(reference).max()))
    np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-5 * scale, err_msg=key)
