"""VGG, AlexNet v2, OverFeat, CifarNet and LeNet: the family API beyond the
generic tests of test_nets.py.

Fully convolutional use at larger inputs, spatial_squeeze, global_pool,
num_classes=0, fc_conv_padding, the arg_scope factories against TF-Slim's, and
the logits against tf_slim.nets' models given the same weights. Shapes are
checked on graphs that are built, never run; each model that runs is built
once per test module.
"""

import inspect

import numpy as np
import pytest
import tensorflow as tf
import tf_slim as slim
from tf_slim.nets import alexnet as slim_alexnet
from tf_slim.nets import overfeat as slim_overfeat
from tf_slim.nets import vgg as slim_vgg

import nets_reference as ref
import scopes
from nets import alexnet
from nets import cifarnet
from nets import lenet
from nets import overfeat
from nets import registry
from nets import vgg

# Ours, TF-Slim's network function and arg_scope factory.
SLIM_REFERENCES = {
    'vgg_a': (vgg.vgg_a, slim_vgg.vgg_a, slim_vgg.vgg_arg_scope),
    'vgg_16': (vgg.vgg_16, slim_vgg.vgg_16, slim_vgg.vgg_arg_scope),
    'alexnet_v2': (alexnet.alexnet_v2, slim_alexnet.alexnet_v2,
                   slim_alexnet.alexnet_v2_arg_scope),
    'overfeat': (overfeat.overfeat, slim_overfeat.overfeat, slim_overfeat.overfeat_arg_scope),
}
FACTORIES = [
    (vgg.vgg_arg_scope, slim_vgg.vgg_arg_scope),
    (alexnet.alexnet_v2_arg_scope, slim_alexnet.alexnet_v2_arg_scope),
    (overfeat.overfeat_arg_scope, slim_overfeat.overfeat_arg_scope),
]


def build(fn, arg_scope, shape, **kwargs):
  """`fn` on a placeholder of `shape` in a fresh graph: (graph, inputs, logits, end_points)."""
  graph = tf.Graph()
  with graph.as_default(), scopes.arg_scope(arg_scope):
    tf.compat.v1.set_random_seed(1)
    inputs = tf.compat.v1.placeholder(tf.float32, shape)
    logits, end_points = fn(inputs, **kwargs)
  return graph, inputs, logits, end_points


def shapes(end_points):
  return {k: v.shape.as_list() for k, v in end_points.items()}


def variables(graph):
  return {v.op.name: v.shape.as_list() for v in graph.get_collection('variables')}


# -- the arg_scope factories -------------------------------------------------------------

@pytest.mark.parametrize('ours, theirs', FACTORIES, ids=lambda f: f.__name__)
@pytest.mark.parametrize('weight_decay', [None, 0.01])
def test_arg_scope_equals_tf_slims(ours, theirs, weight_decay):
  kwargs = {} if weight_decay is None else {'weight_decay': weight_decay}
  assert scopes.describe(ours(**kwargs)) == scopes.describe(theirs(**kwargs))
  assert inspect.signature(ours) == inspect.signature(theirs)


def test_cifarnet_arg_scope():
  assert scopes.describe(cifarnet.cifarnet_arg_scope(weight_decay=0.01)) == {
      'slim.conv2d': {
          'activation_fn': 'relu',
          'weights_initializer': "TruncatedNormal(mean=0.0, stddev=0.05, seed=None, "
                                 "dtype='float32')",
      },
      'slim.fully_connected': {
          'activation_fn': 'relu',
          'biases_initializer': "Constant(value=0.1, dtype='float32')",
          'weights_initializer': "TruncatedNormal(mean=0.0, stddev=0.04, seed=None, "
                                 "dtype='float32')",
          'weights_regularizer': 'l2_regularizer(scale=0.01)',
      },
  }
  assert inspect.signature(cifarnet.cifarnet_arg_scope).parameters[
      'weight_decay'].default == 0.004


def test_lenet_arg_scope():
  expected = {
      'activation_fn': 'relu',
      'weights_initializer': "TruncatedNormal(mean=0.0, stddev=0.1, seed=None, "
                             "dtype='float32')",
      'weights_regularizer': 'l2_regularizer(scale=0.5)',
  }
  assert scopes.describe(lenet.lenet_arg_scope(0.5)) == {
      'slim.conv2d': expected, 'slim.fully_connected': expected}
  # The default decay of 0 sets no regularizer, so no loss is added.
  assert scopes.describe(lenet.lenet_arg_scope())['slim.conv2d']['weights_regularizer'] is None


# -- TF-Slim's signatures and registry entries --------------------------------------------

VGG_PARAMS = ['inputs', 'num_classes', 'is_training', 'dropout_keep_prob', 'spatial_squeeze',
              'reuse', 'scope', 'fc_conv_padding', 'global_pool']


@pytest.mark.parametrize('fn, params', [
    (vgg.vgg_a, VGG_PARAMS), (vgg.vgg_16, VGG_PARAMS), (vgg.vgg_19, VGG_PARAMS),
    (alexnet.alexnet_v2, ['inputs', 'num_classes', 'is_training', 'dropout_keep_prob',
                          'spatial_squeeze', 'scope', 'global_pool', 'reuse']),
    (overfeat.overfeat, ['inputs', 'num_classes', 'is_training', 'dropout_keep_prob',
                         'spatial_squeeze', 'scope', 'global_pool', 'reuse']),
    (cifarnet.cifarnet, ['images', 'num_classes', 'is_training', 'dropout_keep_prob',
                         'prediction_fn', 'scope', 'reuse']),
    (lenet.lenet, ['images', 'num_classes', 'is_training', 'dropout_keep_prob',
                   'prediction_fn', 'scope', 'reuse']),
], ids=lambda x: getattr(x, '__name__', None))
def test_signatures(fn, params):
  signature = inspect.signature(fn).parameters
  assert list(signature) == params
  assert signature['reuse'].default is None
  assert signature['scope'].default == {'vgg_a': 'vgg_a', 'vgg_16': 'vgg_16', 'vgg_19': 'vgg_19',
                                        'cifarnet': 'CifarNet', 'lenet': 'LeNet'}.get(
                                            fn.__name__, fn.__name__)
  # Defaults of the parameters TF-Slim's version has agree with it.
  theirs = {'alexnet_v2': slim_alexnet.alexnet_v2, 'overfeat': slim_overfeat.overfeat,
            'vgg_a': slim_vgg.vgg_a, 'vgg_16': slim_vgg.vgg_16, 'vgg_19': slim_vgg.vgg_19}
  if fn.__name__ in theirs:
    for name, param in inspect.signature(theirs[fn.__name__]).parameters.items():
      assert signature[name].default == param.default, name


def test_cifarnet_and_lenet_defaults():
  for fn in (cifarnet.cifarnet, lenet.lenet):
    params = inspect.signature(fn).parameters
    assert params['num_classes'].default == 10
    assert params['is_training'].default is False
    assert params['prediction_fn'].default is slim.softmax


def test_aliases_and_image_sizes():
  assert vgg.vgg_d is vgg.vgg_16 and vgg.vgg_e is vgg.vgg_19
  sizes = {vgg.vgg_a: 224, vgg.vgg_16: 224, vgg.vgg_19: 224, alexnet.alexnet_v2: 224,
           overfeat.overfeat: 231, cifarnet.cifarnet: 32, lenet.lenet: 28}
  assert {fn: fn.default_image_size for fn in sizes} == sizes


@pytest.mark.parametrize('name, classes, preprocessing, logits_scopes, checkpoint', [
    ('vgg_a', 1000, 'vgg', ('vgg_a/fc8',), None),
    ('vgg_16', 1000, 'vgg', ('vgg_16/fc8',), 'vgg_16_2016_08_28.tar.gz'),
    ('vgg_19', 1000, 'vgg', ('vgg_19/fc8',), 'vgg_19_2016_08_28.tar.gz'),
    ('alexnet_v2', 1001, 'vgg', ('alexnet_v2/fc8',), None),
    ('overfeat', 1001, 'vgg', ('overfeat/fc8',), None),
    ('cifarnet', 1001, 'cifarnet', ('CifarNet/logits',), None),
    ('lenet', 1001, 'lenet', ('LeNet/fc4',), None),
])
def test_registry(name, classes, preprocessing, logits_scopes, checkpoint):
  spec = registry.get(name)
  assert (spec.num_classes, spec.preprocessing, spec.logits_scopes, spec.checkpoint) == (
      classes, preprocessing, logits_scopes, checkpoint)
  assert spec.network_fn.__name__ == name
  assert spec.scope_parameters() == ('weight_decay',)
  if ref.has_manifest(name):
    manifest = ref.manifest(name)
    assert (spec.num_classes, spec.checkpoint) == (
        manifest['num_classes'], manifest['official_checkpoint'])


# -- fully convolutional use and the classifier options ------------------------------------

def test_vgg_at_a_larger_input_gives_spatial_logits():
  _, _, logits, end_points = build(vgg.vgg_16, vgg.vgg_arg_scope(), [2, 256, 288, 3],
                                   num_classes=10, spatial_squeeze=False)
  assert logits.shape.as_list() == [2, 2, 3, 10]  # pool5 is 8x9, fc6 a 7x7 VALID conv
  got = shapes(end_points)
  assert got['vgg_16/pool5'] == [2, 8, 9, 512]
  assert got['vgg_16/fc7'] == [2, 2, 3, 4096]
  assert got['vgg_16/fc8'] == [2, 2, 3, 10]


@pytest.mark.parametrize('fn, arg_scope, size, grid', [
    (alexnet.alexnet_v2, alexnet.alexnet_v2_arg_scope(), 288, 3),
    (overfeat.overfeat, overfeat.overfeat_arg_scope(), 263, 2),
    (vgg.vgg_a, vgg.vgg_arg_scope(), 256, 2),
    (vgg.vgg_19, vgg.vgg_arg_scope(), 256, 2),
], ids=['alexnet_v2', 'overfeat', 'vgg_a', 'vgg_19'])
def test_fully_convolutional_and_global_pool(fn, arg_scope, size, grid):
  name = fn.__name__
  graph, _, logits, end_points = build(fn, arg_scope, [1, size, size, 3], num_classes=7,
                                       spatial_squeeze=False)
  assert logits.shape.as_list() == [1, grid, grid, 7]
  assert end_points[name + '/fc8'] is logits
  # The same variables as at the default size: a checkpoint loads unchanged.
  assert variables(graph) == {n: s for n, s, _ in ref.manifest(name)['variables']
                              if not n.startswith(name + '/fc8')} | {
                                  name + '/fc8/weights': [1, 1, 4096, 7],
                                  name + '/fc8/biases': [7]}
  # Squeezing a map wider than 1x1 fails, as in TF-Slim.
  with pytest.raises(ValueError):
    build(fn, arg_scope, [1, size, size, 3], num_classes=7)
  # global_pool averages fc7 first: [batch, classes] logits again.
  _, _, logits, end_points = build(fn, arg_scope, [1, size, size, 3], num_classes=7,
                                   global_pool=True)
  assert logits.shape.as_list() == [1, 7]
  assert end_points['global_pool'].shape.as_list() == [1, 1, 1, 4096]
  assert end_points[name + '/fc7'].shape.as_list() == [1, grid, grid, 4096]


def test_no_classes_gives_fc7_features():
  graph, _, net, end_points = build(vgg.vgg_16, vgg.vgg_arg_scope(), [1, 256, 256, 3],
                                    num_classes=0, global_pool=True)
  assert net is end_points['global_pool']
  assert net.shape.as_list() == [1, 1, 1, 4096]
  assert 'vgg_16/fc8' not in end_points
  assert not [n for n in variables(graph) if '/fc8/' in n]
  _, _, net, end_points = build(alexnet.alexnet_v2, alexnet.alexnet_v2_arg_scope(),
                                [1, 224, 224, 3], num_classes=None)
  assert net is end_points['alexnet_v2/fc7']
  assert 'global_pool' not in end_points


def test_fc_conv_padding_same_keeps_the_grid():
  graph, _, logits, end_points = build(vgg.vgg_16, vgg.vgg_arg_scope(), [1, 224, 224, 3],
                                       num_classes=5, spatial_squeeze=False,
                                       fc_conv_padding='SAME')
  assert logits.shape.as_list() == [1, 7, 7, 5]
  assert end_points['vgg_16/fc6'].shape.as_list() == [1, 7, 7, 4096]
  assert variables(graph)['vgg_16/fc6/weights'] == [7, 7, 512, 4096]


def test_scope_names_the_variables_and_end_points():
  graph, _, logits, end_points = build(alexnet.alexnet_v2, alexnet.alexnet_v2_arg_scope(),
                                       [1, 224, 224, 3], num_classes=3, scope='tower')
  assert end_points['tower/fc8'] is logits
  assert sorted(end_points) == sorted(
      'tower/' + k.split('/', 1)[1] for k, _ in ref.manifest('alexnet_v2')['end_points'])
  assert all(n.startswith('tower/') for n in variables(graph))


def test_dropout_only_when_training():
  def random_ops(is_training):
    graph = build(overfeat.overfeat, overfeat.overfeat_arg_scope(), [1, 231, 231, 3],
                  is_training=is_training)[0]
    return sorted(op.name.split('/')[1] for op in graph.get_operations()
                  if op.name.startswith('overfeat/dropout') and op.type == 'RandomUniform')
  assert random_ops(True) == ['dropout6', 'dropout7']
  assert random_ops(False) == []


# -- the logits against tf_slim.nets -------------------------------------------------------

@pytest.fixture(scope='module', params=sorted(SLIM_REFERENCES))
def slim_pair(request):
  """Ours and TF-Slim's model on the same input and weights: (name, ours, theirs),
  each (logits, end point shapes, regularization losses, op names and types)."""
  name = request.param
  ours_fn, theirs_fn, theirs_scope = SLIM_REFERENCES[name]
  spec = registry.get(name)
  images = ref.images(ref.input_shape(name, batch=2))
  results = []
  values = None
  for fn, arg_scope in ((ours_fn, spec.arg_scope_fn()), (theirs_fn, theirs_scope())):
    graph, inputs, logits, end_points = build(fn, arg_scope, images.shape, num_classes=11,
                                              is_training=False)
    ops = {(op.name, op.type) for op in graph.get_operations()}
    with tf.compat.v1.Session(graph=graph) as sess:
      global_vars = graph.get_collection('variables')
      if values is None:  # ours: initialize, and keep the weights for TF-Slim's
        sess.run(tf.compat.v1.global_variables_initializer())
        values = dict(zip([v.op.name for v in global_vars], sess.run(global_vars),
                          strict=True))
      else:
        assert sorted(v.op.name for v in global_vars) == sorted(values)
        for v in global_vars:
          v.load(values[v.op.name], sess)
      output = sess.run(logits, {inputs: images})
    losses = graph.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
    results.append((output, shapes(end_points), len(losses), ops))
  return name, results[0], results[1]


def test_logits_equal_tf_slims(slim_pair):
  _, (ours, _, _, _), (theirs, _, _, _) = slim_pair
  assert ours.shape == theirs.shape == (2, 11)
  assert np.abs(ours).max() > 0  # a real signal, not all zeros
  scale = max(1.0, float(np.abs(theirs).max()))
  np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5 * scale)


def test_end_points_losses_and_ops_equal_tf_slims(slim_pair):
  _, (_, our_shapes, our_losses, our_ops), (_, their_shapes, their_losses, their_ops) = slim_pair
  assert our_shapes == their_shapes
  assert our_losses == their_losses > 0
  # The same graph, op by op: tensor names such as 'vgg_16/fc7/Relu:0' carry over.
  assert our_ops == their_ops


# -- CifarNet and LeNet -----------------------------------------------------------------------

def _conv(x, values, name, relu=True):
  y = tf.nn.conv2d(x, values[name + '/weights'], 1, 'SAME') + values[name + '/biases']
  return tf.nn.relu(y) if relu else y


def _fc(x, values, name, relu=True):
  y = tf.matmul(x, values[name + '/weights']) + values[name + '/biases']
  return tf.nn.relu(y) if relu else y


def _pool(x):
  return tf.nn.max_pool2d(x, 2, 2, 'VALID')


def _lrn(x):
  return tf.nn.lrn(x, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75)


def _run(fn, arg_scope, images, **kwargs):
  graph, inputs, logits, end_points = build(fn, arg_scope, images.shape, **kwargs)
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    global_vars = graph.get_collection('variables')
    values = dict(zip([v.op.name for v in global_vars], sess.run(global_vars), strict=True))
    outputs = sess.run((logits, end_points), {inputs: images})
  return graph, values, outputs


def test_cifarnet_computes_the_tutorial_net():
  images = ref.images([2, 32, 32, 3])
  graph, values, (logits, end_points) = _run(
      cifarnet.cifarnet, cifarnet.cifarnet_arg_scope(), images, num_classes=10)
  v = {k[len('CifarNet/'):]: val for k, val in values.items()}
  # Pool then normalize after conv1; normalize then pool after conv2.
  net = _lrn(_pool(_conv(images, v, 'conv1')))
  net = _pool(_lrn(_conv(net, v, 'conv2')))
  net = _fc(_fc(tf.reshape(net, [2, -1]), v, 'fc3'), v, 'fc4')
  expected = _fc(net, v, 'logits', relu=False).numpy()
  np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(end_points['Predictions'], tf.nn.softmax(expected), atol=1e-6)
  # Only the fully connected layers other than the logits are regularized.
  losses = graph.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
  assert sorted(loss.op.name.split('/')[1] for loss in losses) == ['fc3', 'fc4']
  assert np.all(values['CifarNet/fc3/biases'] == np.float32(0.1))
  assert not values['CifarNet/logits/biases'].any()


def test_lenet_computes_lenet():
  images = ref.images([2, 28, 28, 1])
  graph, values, (logits, end_points) = _run(lenet.lenet, lenet.lenet_arg_scope(), images)
  v = {k[len('LeNet/'):]: val for k, val in values.items()}
  net = _pool(_conv(_pool(_conv(images, v, 'conv1')), v, 'conv2'))
  expected = _fc(_fc(tf.reshape(net, [2, -1]), v, 'fc3'), v, 'fc4', relu=False).numpy()
  assert logits.shape == (2, 10)  # TF-Slim's default: the ten MNIST digits
  np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-5)
  assert sorted(end_points) == ['Flatten', 'Logits', 'Predictions', 'conv1', 'conv2',
                                'dropout3', 'fc3', 'pool1', 'pool2']
  assert not graph.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)


@pytest.mark.parametrize('fn, arg_scope, size, features', [
    (cifarnet.cifarnet, cifarnet.cifarnet_arg_scope(), 32, 'fc4'),
    (lenet.lenet, lenet.lenet_arg_scope(), 28, 'fc3'),
], ids=['cifarnet', 'lenet'])
def test_small_nets_features_and_prediction_fn(fn, arg_scope, size, features):
  _, _, net, end_points = build(fn, arg_scope, [3, size, size, 3], num_classes=0)
  assert net is end_points[features]
  assert not {'Logits', 'Predictions', 'dropout3'} & set(end_points)
  _, _, logits, end_points = build(
      fn, arg_scope, [3, size, size, 3], num_classes=4,
      prediction_fn=lambda x, scope: tf.sigmoid(x, name=scope))
  assert end_points['Predictions'].op.type == 'Sigmoid'
  assert end_points['Logits'] is logits
