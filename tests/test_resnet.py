"""ResNet v1 and v2: the family API beyond the generic tests of test_nets.py.

Most checks use a tiny net of four two-unit blocks (output depths 4, 8, 16,
32; strides 2, 2, 2, 1), as TF-Slim's own ResNet tests do: end-point shapes
for other input sizes, global_pool, spatial_squeeze, include_root_block,
output_stride (shapes, errors, and dense features that equal the strided ones
subsampled), store_non_strided_activations, conv2d_same and subsample. Then
the published depths' API, registry entries and depth_multiplier, the
arg_scope factory, and, given the same weights, the same end points and
logits as tf_slim.nets' ResNet-50 v1 and v2.
"""

import inspect

import numpy as np
import pytest
import tensorflow as tf
import tf_slim as slim
from tf_slim.nets import resnet_utils as slim_resnet_utils
from tf_slim.nets import resnet_v1 as slim_resnet_v1
from tf_slim.nets import resnet_v2 as slim_resnet_v2

import nets_reference as ref
import scopes
from engine import Network
from nets import registry
from nets import resnet_utils
from nets import resnet_v1
from nets import resnet_v2

VERSIONS = {'v1': (resnet_v1, resnet_v1.resnet_v1, resnet_v1.resnet_v1_block),
            'v2': (resnet_v2, resnet_v2.resnet_v2, resnet_v2.resnet_v2_block)}


def tiny_blocks(block_fn):
  return [block_fn('block1', base_depth=1, num_units=2, stride=2),
          block_fn('block2', base_depth=2, num_units=2, stride=2),
          block_fn('block3', base_depth=4, num_units=2, stride=2),
          block_fn('block4', base_depth=8, num_units=2, stride=1)]


def tiny_net(version, inputs, **kwargs):
  """The tiny net of `version` under its arg_scope, in inference mode."""
  module, net_fn, block_fn = VERSIONS[version]
  kwargs.setdefault('is_training', False)
  kwargs.setdefault('scope', 'tiny')
  with scopes.arg_scope(module.resnet_arg_scope()):
    return net_fn(inputs, tiny_blocks(block_fn), **kwargs)


def placeholder(shape):
  return tf.compat.v1.placeholder(tf.float32, shape)


def shapes(end_points, keys=None):
  return {k: v.shape.as_list() for k, v in end_points.items() if keys is None or k in keys}


def block_shapes(end_points):
  return shapes(end_points, ['tiny/block%d' % i for i in range(1, 5)])


def run(graph, fetches, feeds):
  with graph.as_default(), tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    return sess.run(fetches, feeds)


# -- resnet_utils: conv2d_same and subsample --------------------------------------------------


def ramp(size):
  """A `[1, size, size, 1]` image whose pixels count up from 0."""
  return np.arange(size * size, dtype=np.float32).reshape(1, size, size, 1)


@pytest.mark.parametrize('size', [4, 5])
def test_conv2d_same_equals_a_dense_conv_subsampled(graph, size):
  # A fixed 3x3 kernel, no bias, no activation: outputs are exact integers.
  kernel = np.arange(9, dtype=np.float32).reshape(3, 3, 1, 1)
  x = tf.constant(ramp(size))
  with scopes.arg_scope([slim.conv2d], weights_initializer=tf.constant_initializer(kernel),
                        biases_initializer=tf.zeros_initializer(), activation_fn=None):
    dense = resnet_utils.conv2d_same(x, 1, 3, stride=1, scope='dense')
    strided = resnet_utils.conv2d_same(x, 1, 3, stride=2, scope='strided')
    same = slim.conv2d(x, 1, [3, 3], stride=2, padding='SAME', scope='same')
  out = run(graph, dict(dense=dense, strided=strided, same=same), {})
  np.testing.assert_array_equal(out['strided'], out['dense'][:, ::2, ::2, :])
  # As TF-Slim documents: 'SAME' with stride 2 agrees for odd inputs only; on
  # even ones it pads at the end alone, so its samples shift by one pixel.
  assert out['same'].shape == out['strided'].shape
  if size % 2:
    np.testing.assert_array_equal(out['same'], out['strided'])
  else:
    assert not np.array_equal(out['same'], out['strided'])


def test_conv2d_same_output_sizes(graph):
  for size, stride, expected in [(4, 2, 2), (5, 2, 3), (7, 3, 3), (224, 2, 112)]:
    net = resnet_utils.conv2d_same(placeholder([1, size, size, 2]), 3, 7, stride,
                                   scope='c%d_%d' % (size, stride))
    assert net.shape.as_list() == [1, expected, expected, 3]


def test_subsample(graph):
  x = tf.constant(ramp(7))
  assert resnet_utils.subsample(x, 1) is x
  every_2nd, every_3rd = run(graph, [resnet_utils.subsample(x, 2, scope='s2'),
                                     resnet_utils.subsample(x, 3)], {})
  np.testing.assert_array_equal(every_2nd, ramp(7)[:, ::2, ::2, :])
  np.testing.assert_array_equal(every_3rd, ramp(7)[:, ::3, ::3, :])


# -- the tiny net: shapes for other sizes and options ----------------------------------------


def unit_end_points(unit, batch, blocks):
  """`{key: shape}` of the units of two-unit blocks, the second one strided.

  Args:
    unit: 'bottleneck_v1' or 'bottleneck_v2'.
    batch: the batch size.
    blocks: `{block scope: (input size, output size, depth)}`.
  """
  shapes = {}
  for block, (size_in, size_out, depth) in blocks.items():
    first, second = '%s/unit_1/%s' % (block, unit), '%s/unit_2/%s' % (block, unit)
    for key, size, channels in [
        (first + '/shortcut', size_in, depth), (first + '/conv1', size_in, depth // 4),
        (first + '/conv2', size_in, depth // 4), (first + '/conv3', size_in, depth),
        (first, size_in, depth), (second + '/conv1', size_in, depth // 4),
        (second + '/conv2', size_out, depth // 4), (second + '/conv3', size_out, depth),
        (second, size_out, depth), (block, size_out, depth)]:
      shapes[key] = [batch, size, size, channels]
  return shapes


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_end_points_of_the_tiny_net(graph, version):
  logits, end_points = tiny_net(version, placeholder([2, 65, 65, 3]), num_classes=10)
  assert logits.shape.as_list() == [2, 10]
  assert shapes(end_points) == {
      'tiny/conv1': [2, 33, 33, 64],
      **unit_end_points('bottleneck_' + version, 2, {
          'tiny/block1': (17, 9, 4), 'tiny/block2': (9, 5, 8),
          'tiny/block3': (5, 3, 16), 'tiny/block4': (3, 3, 32)}),
      'global_pool': [2, 1, 1, 32],
      'tiny/logits': [2, 1, 1, 10],
      'tiny/spatial_squeeze': [2, 10],
      'predictions': [2, 10],
  }
  # v2 has no batch norm or activation on conv1: the first unit's 'preact' does it.
  conv1 = {v.op.name for v in graph.get_collection('variables') if '/conv1/' in v.op.name
           and 'block' not in v.op.name}
  if version == 'v1':
    assert 'tiny/conv1/BatchNorm/gamma' in conv1
  else:
    assert conv1 == {'tiny/conv1/weights', 'tiny/conv1/biases'}
    assert 'tiny/postnorm/gamma' in {v.op.name for v in graph.get_collection('variables')}


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_fully_convolutional_without_global_pool(graph, version):
  logits, end_points = tiny_net(version, placeholder([2, 129, 129, 3]), num_classes=10,
                                global_pool=False, spatial_squeeze=False)
  assert logits.shape.as_list() == [2, 5, 5, 10]
  assert 'global_pool' not in end_points
  assert end_points['predictions'].shape.as_list() == [2, 5, 5, 10]
  assert block_shapes(end_points)['tiny/block4'] == [2, 5, 5, 32]


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_spatial_squeeze_false_and_no_classes(graph, version):
  logits, end_points = tiny_net(version, placeholder([2, 65, 65, 3]), num_classes=10,
                                spatial_squeeze=False)
  assert logits.shape.as_list() == [2, 1, 1, 10]
  assert 'tiny/spatial_squeeze' not in end_points
  features, end_points = tiny_net(version, placeholder([2, 65, 65, 3]), scope='features')
  assert features.shape.as_list() == [2, 1, 1, 32]
  assert end_points['global_pool'] is features
  assert not {'features/logits', 'predictions'} & set(end_points)
  features, _ = tiny_net(version, placeholder([2, 65, 65, 3]), num_classes=0,
                         global_pool=False, scope='dense_features')
  assert features.shape.as_list() == [2, 3, 3, 32]


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_without_root_block(graph, version):
  logits, end_points = tiny_net(version, placeholder([2, 64, 64, 3]), num_classes=10,
                                global_pool=False, spatial_squeeze=False,
                                include_root_block=False)
  assert logits.shape.as_list() == [2, 8, 8, 10]
  assert block_shapes(end_points) == {'tiny/block1': [2, 32, 32, 4],
                                      'tiny/block2': [2, 16, 16, 8],
                                      'tiny/block3': [2, 8, 8, 16],
                                      'tiny/block4': [2, 8, 8, 32]}
  assert 'tiny/conv1' not in end_points
  variables = {v.op.name: v.shape.as_list() for v in graph.get_collection('variables')}
  assert not [name for name in variables if name.startswith('tiny/conv1/')]
  assert variables['tiny/block1/unit_1/bottleneck_%s/conv1/weights' % version] == [1, 1, 3, 1]


@pytest.mark.parametrize('version', ['v1', 'v2'])
@pytest.mark.parametrize('output_stride, expected', [
    (4, [17, 17, 17, 17]), (8, [9, 9, 9, 9]), (16, [9, 5, 5, 5]), (32, [9, 5, 3, 3])])
def test_output_stride_shapes(graph, version, output_stride, expected):
  _, end_points = tiny_net(version, placeholder([2, 65, 65, 3]), global_pool=False,
                           output_stride=output_stride)
  assert block_shapes(end_points) == {
      'tiny/block%d' % (i + 1): [2, hw, hw, depth]
      for i, (hw, depth) in enumerate(zip(expected, [4, 8, 16, 32], strict=True))}


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_dense_features_equal_the_strided_ones_subsampled(graph, version):
  # TF-Slim's check of atrous convolution: with inputs of (32 n + 1) pixels
  # the dense features at output_stride s, sampled every 32 / s pixels, are
  # the features of the nominal net, with the same weights.
  inputs = placeholder([2, 65, 65, 3])
  outputs = {}
  for output_stride in [None, 8, 16]:
    net, _ = tiny_net(version, inputs, global_pool=False, output_stride=output_stride,
                      reuse=output_stride is not None)
    outputs[output_stride] = resnet_utils.subsample(net, 32 // (output_stride or 32))
  images = ref.images([2, 65, 65, 3])
  out = run(graph, outputs, {inputs: images})
  assert out[8].shape == out[None].shape == (2, 3, 3, 32)
  for output_stride in [8, 16]:
    np.testing.assert_allclose(out[output_stride], out[None], rtol=1e-4, atol=1e-4)


def test_unknown_batch_and_size(graph):
  inputs = placeholder([None, None, None, 3])
  pooled, _ = tiny_net('v1', inputs, num_classes=10)
  nominal, _ = tiny_net('v1', inputs, global_pool=False, reuse=True)
  dense, _ = tiny_net('v1', inputs, global_pool=False, output_stride=8, reuse=True)
  assert nominal.shape.as_list() == [None, None, None, 32]
  assert pooled.shape.as_list() == [None, 10]
  out = run(graph, [nominal, dense, pooled], {inputs: ref.images([2, 65, 65, 3])})
  assert [o.shape for o in out] == [(2, 3, 3, 32), (2, 9, 9, 32), (2, 10)]


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_unreachable_output_stride_raises(graph, version):
  inputs = placeholder([1, 65, 65, 3])
  with pytest.raises(ValueError, match='The output_stride needs to be a multiple of 4.'):
    tiny_net(version, inputs, output_stride=6, scope='six')
  with pytest.raises(ValueError, match='The target output_stride cannot be reached.'):
    tiny_net(version, inputs, output_stride=64, scope='sixty_four')
  # Without the root block the blocks alone stride 8.
  with pytest.raises(ValueError, match='The target output_stride cannot be reached.'):
    tiny_net(version, inputs, output_stride=16, include_root_block=False, scope='sixteen')
  blocks = tiny_blocks(VERSIONS[version][2])
  with pytest.raises(ValueError, match='The target output_stride cannot be reached.'):
    resnet_utils.stack_blocks_dense(inputs, blocks, output_stride=3)


def test_store_non_strided_activations(graph):
  # The last unit of each block runs unstrided and its output is subsampled
  # after the block's end point: the end points are 2x denser, the output the
  # same (conv2d_same makes a strided 3x3 conv a subsampled dense one).
  inputs = placeholder([2, 65, 65, 3])
  strided, strided_end_points = tiny_net('v1', inputs, global_pool=False)
  dense, dense_end_points = tiny_net('v1', inputs, global_pool=False, reuse=True,
                                     store_non_strided_activations=True)
  assert block_shapes(strided_end_points) == {
      'tiny/block1': [2, 9, 9, 4], 'tiny/block2': [2, 5, 5, 8],
      'tiny/block3': [2, 3, 3, 16], 'tiny/block4': [2, 3, 3, 32]}
  assert block_shapes(dense_end_points) == {
      'tiny/block1': [2, 17, 17, 4], 'tiny/block2': [2, 9, 9, 8],
      'tiny/block3': [2, 5, 5, 16], 'tiny/block4': [2, 3, 3, 32]}
  assert dense.shape.as_list() == strided.shape.as_list()
  out = run(graph, [strided, dense, strided_end_points['tiny/block2'],
                    dense_end_points['tiny/block2']], {inputs: ref.images([2, 65, 65, 3])})
  np.testing.assert_allclose(out[1], out[0], rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(out[3][:, ::2, ::2, :], out[2], rtol=1e-4, atol=1e-4)
  # With an output_stride the skipped strides turn into atrous rates instead.
  _, end_points = tiny_net('v1', inputs, global_pool=False, reuse=True, output_stride=8,
                           store_non_strided_activations=True)
  assert block_shapes(end_points) == {
      'tiny/block1': [2, 17, 17, 4], 'tiny/block2': [2, 9, 9, 8],
      'tiny/block3': [2, 9, 9, 16], 'tiny/block4': [2, 9, 9, 32]}


def test_bounded_activations(graph):
  inputs = placeholder([1, 8, 8, 4])
  with scopes.arg_scope(resnet_v1.resnet_arg_scope()):
    net = resnet_v1.bottleneck(inputs, 8, 2, stride=2, use_bounded_activations=True)
  out = run(graph, net, {inputs: 100 * ref.images([1, 8, 8, 4])})
  assert out.shape == (1, 4, 4, 8)
  assert out.min() >= 0 and out.max() <= 6


def test_eager_calls_leave_no_end_points_behind():
  # Eager calls share one global graph, and repeated calls of a layer one name
  # scope: the end-points collection must not grow with each call.
  net = Network(resnet_v1.resnet_v1, resnet_v1.resnet_arg_scope(),
                dict(blocks=tiny_blocks(resnet_v1.resnet_v1_block), num_classes=10,
                     scope='tiny'))
  images = tf.constant(ref.images([1, 33, 33, 3]))
  for _ in range(2):
    logits, end_points = net(images)
    assert len(end_points) == 45 and end_points['tiny/logits'].shape == [1, 1, 1, 10]
  global_graph = tf.compat.v1.get_default_graph()
  assert not [key for key in global_graph.get_all_collection_keys()
              if key.endswith('_end_points') and global_graph.get_collection(key)]


# -- the published depths ---------------------------------------------------------------------

MODELS = [(resnet_v1, 'resnet_v1', depth) for depth in (50, 101, 152, 200)] + [
    (resnet_v2, 'resnet_v2', depth) for depth in (50, 101, 152, 200)]


def parameters(fn):
  return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize('module, family, depth', MODELS)
def test_model_api_and_registry(module, family, depth):
  name = '%s_%d' % (family, depth)
  fn = getattr(module, name)
  expected = [('inputs', inspect.Parameter.empty), ('num_classes', None),
              ('is_training', True), ('global_pool', True), ('output_stride', None),
              ('spatial_squeeze', True)]
  if family == 'resnet_v1':
    expected += [('store_non_strided_activations', False), ('min_base_depth', 8),
                 ('depth_multiplier', 1)]
  assert parameters(fn) == expected + [('reuse', None), ('scope', name)]
  assert fn.__name__ == name and fn.default_image_size == 224
  # tf_slim.nets' older API is a subset: same names, defaults and order.
  slim_params = parameters(getattr(slim_resnet_v1 if family == 'resnet_v1'
                                   else slim_resnet_v2, name))
  assert [p for p in parameters(fn) if p in slim_params] == slim_params

  spec = registry.get(name)
  official = 1001 if family == 'resnet_v2' else 1000
  assert spec.network_fn is fn and spec.arg_scope_fn is resnet_utils.resnet_arg_scope
  assert (spec.num_classes, spec.default_image_size) == (official, 224)
  assert spec.preprocessing == ('vgg' if family == 'resnet_v1' else 'inception')
  assert spec.logits_scopes == (name + '/logits',)
  assert spec.checkpoint == ref.manifest(name)['official_checkpoint']
  assert [len(b.args) for b in resnet_utils.standard_blocks(
      getattr(module, family + '_block'), depth)] == list(resnet_utils.UNITS_PER_BLOCK[depth])


def test_family_api():
  assert parameters(resnet_v1.resnet_v1) == [
      ('inputs', inspect.Parameter.empty), ('blocks', inspect.Parameter.empty),
      ('num_classes', None), ('is_training', True), ('global_pool', True),
      ('output_stride', None), ('include_root_block', True), ('spatial_squeeze', True),
      ('store_non_strided_activations', False), ('reuse', None), ('scope', None)]
  assert parameters(resnet_v2.resnet_v2) == [
      p for p in parameters(resnet_v1.resnet_v1) if p[0] != 'store_non_strided_activations']
  assert [p[0] for p in parameters(resnet_v1.bottleneck)] == [
      'inputs', 'depth', 'depth_bottleneck', 'stride', 'rate', 'outputs_collections', 'scope',
      'use_bounded_activations']
  assert parameters(resnet_v2.bottleneck) == parameters(resnet_v1.bottleneck)[:-1]
  assert [p[0] for p in parameters(resnet_utils.stack_blocks_dense)] == [
      'net', 'blocks', 'output_stride', 'store_non_strided_activations', 'outputs_collections']
  for fn in (resnet_v1.bottleneck, resnet_v2.bottleneck, resnet_utils.stack_blocks_dense):
    assert scopes.has_arg_scope(fn)
  assert resnet_v1.resnet_v1.default_image_size == resnet_v2.resnet_v2.default_image_size == 224
  assert resnet_v1.resnet_arg_scope is resnet_v2.resnet_arg_scope is (
      resnet_utils.resnet_arg_scope)
  assert resnet_utils.Block._fields == ('scope', 'unit_fn', 'args')
  block = resnet_v2.resnet_v2_block('block2', base_depth=128, num_units=3, stride=2)
  assert block == resnet_utils.Block('block2', resnet_v2.bottleneck, [
      {'depth': 512, 'depth_bottleneck': 128, 'stride': 1},
      {'depth': 512, 'depth_bottleneck': 128, 'stride': 1},
      {'depth': 512, 'depth_bottleneck': 128, 'stride': 2}])
  # The same blocks as tf_slim.nets', unit function aside.
  for ours, theirs in [(resnet_v1.resnet_v1_block, slim_resnet_v1.resnet_v1_block),
                       (resnet_v2.resnet_v2_block, slim_resnet_v2.resnet_v2_block)]:
    assert ours('b', 64, 3, 2)[::2] == theirs('b', 64, 3, 2)[::2]


def test_depth_multiplier_and_min_base_depth(graph):
  # Base depths 64, 128, 256, 512 x 0.25 = 16, 32, 64, 128, at least 32.
  features, end_points = resnet_v1.resnet_v1_50(
      placeholder([1, 64, 64, 3]), depth_multiplier=0.25, min_base_depth=32)
  assert [end_points['resnet_v1_50/block%d' % i].shape[-1] for i in range(1, 5)] == [
      128, 128, 256, 512]
  assert features.shape.as_list() == [1, 1, 1, 512]
  variables = {v.op.name: v.shape.as_list() for v in graph.get_collection('variables')}
  unit = 'resnet_v1_50/block%d/unit_1/bottleneck_v1/%s/weights'
  assert variables[unit % (1, 'conv1')] == [1, 1, 64, 32]
  assert variables[unit % (2, 'conv2')] == [3, 3, 32, 32]
  assert variables[unit % (4, 'shortcut')] == [1, 1, 256, 512]


# -- the arg_scope factory --------------------------------------------------------------------


def test_resnet_arg_scope():
  bn = {'decay': 0.997, 'epsilon': 1e-05, 'fused': None, 'scale': True,
        'updates_collections': 'update_ops'}
  assert scopes.describe(resnet_utils.resnet_arg_scope()) == {
      'slim.batch_norm': bn,
      'slim.conv2d': {
          'activation_fn': 'relu',
          'normalizer_fn': 'slim.batch_norm',
          'normalizer_params': bn,
          'weights_initializer':
              "variance_scaling_initializer(factor=2.0, mode='FAN_IN', uniform=False)",
          'weights_regularizer': 'l2_regularizer(scale=0.0001)'},
      'slim.max_pool2d': {'padding': 'SAME'}}
  # Without batch norm after the convs, v2's own batch norms keep the params.
  described = scopes.describe(resnet_utils.resnet_arg_scope(
      weight_decay=4e-5, batch_norm_decay=0.9, batch_norm_epsilon=1e-3,
      batch_norm_scale=False, activation_fn=tf.nn.relu6, use_batch_norm=False,
      batch_norm_updates_collections=None))
  assert described['slim.batch_norm'] == {'decay': 0.9, 'epsilon': 1e-3, 'fused': None,
                                          'scale': False, 'updates_collections': None}
  assert described['slim.conv2d']['normalizer_fn'] is None
  assert described['slim.conv2d']['activation_fn'] == 'relu6'
  assert described['slim.conv2d']['weights_regularizer'] == 'l2_regularizer(scale=4e-05)'
  # tf_slim 1.1.0's older factory lacks only the 'fused': None of TF-Slim's
  # current one (None: fused batch norm where possible, also its default).
  assert scopes.diff(resnet_utils.resnet_arg_scope(), slim_resnet_utils.resnet_arg_scope()) == {
      'slim.batch_norm': {'fused': [None, '<unset>']},
      'slim.conv2d': {'normalizer_params': [bn, {k: v for k, v in bn.items() if k != 'fused'}]}}


# -- the same logits as tf_slim.nets ----------------------------------------------------------


def build_logits(network_fn, arg_scope, num_classes):
  graph = tf.Graph()
  with graph.as_default():
    inputs = placeholder([1, 224, 224, 3])
    with scopes.arg_scope(arg_scope):
      logits, end_points = network_fn(inputs, num_classes, is_training=False)
  return graph, inputs, logits, end_points


def random_weights(graph):
  """Each variable's initial value, with random batch-norm parameters and
  statistics (at their initial 0 and 1 a wrong batch norm could pass)."""
  rng = np.random.RandomState(1)
  with graph.as_default(), tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    variables = graph.get_collection('variables')
    values = dict(zip([v.op.name for v in variables], sess.run(variables), strict=True))
  for name, value in values.items():
    low, high = {'gamma': (0.5, 1.5), 'moving_variance': (0.5, 1.5), 'beta': (-0.2, 0.2),
                 'moving_mean': (-0.2, 0.2), 'biases': (-0.2, 0.2)}.get(
                     name.rsplit('/', 1)[-1], (None, None))
    if low is not None:
      values[name] = rng.uniform(low, high, value.shape).astype(np.float32)
  return values


def run_with(graph, values, fetches, feeds):
  with graph.as_default(), tf.compat.v1.Session() as sess:
    variables = graph.get_collection('variables')
    assert sorted(v.op.name for v in variables) == sorted(values)
    # Fed to the initializers: no assign op or constant per variable in the graph.
    sess.run([v.initializer for v in variables],
             {v.initial_value: values[v.op.name] for v in variables})
    return sess.run(fetches, feeds)


@pytest.mark.parametrize('name, slim_module', [('resnet_v1_50', slim_resnet_v1),
                                               ('resnet_v2_50', slim_resnet_v2)])
def test_same_logits_as_tf_slim(name, slim_module):
  spec = registry.get(name)
  graph, inputs, logits, end_points = build_logits(spec.network_fn, spec.arg_scope(),
                                                   spec.num_classes)
  slim_graph, slim_inputs, slim_logits, slim_end_points = build_logits(
      getattr(slim_module, name), slim_module.resnet_utils.resnet_arg_scope(),
      spec.num_classes)
  # tf_slim 1.1.0 predates spatial_squeeze: its logits and predictions stay
  # [1, 1, 1, classes] and it has no 'global_pool' or '.../spatial_squeeze'
  # end points. Everything else has the same keys and shapes.
  assert set(end_points) - set(slim_end_points) == {'global_pool', name + '/spatial_squeeze'}
  assert set(slim_end_points) <= set(end_points)
  assert slim_logits.shape.as_list() == [1, 1, 1, spec.num_classes]
  for key, tensor in slim_end_points.items():
    if key != 'predictions':
      assert end_points[key].shape.as_list() == tensor.shape.as_list(), key

  values = random_weights(graph)
  images = ref.images([1, 224, 224, 3])
  ours = run_with(graph, values, (logits, end_points), {inputs: images})
  theirs = run_with(slim_graph, values, (slim_logits, slim_end_points), {slim_inputs: images})
  scale = max(1.0, float(np.abs(theirs[0]).max()))
  np.testing.assert_allclose(ours[0], theirs[0].reshape(1, -1), rtol=1e-5, atol=1e-5 * scale)
  for key, value in theirs[1].items():
    scale = max(1.0, float(np.abs(value).max()))
    np.testing.assert_allclose(ours[1][key].reshape(value.shape), value, rtol=1e-5,
                               atol=1e-5 * scale, err_msg=key)
