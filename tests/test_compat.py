"""The fixes for tf_slim on TF 2.21: batch_norm in graph mode and under the TF2
shim, and variable hashing and equality, unchanged where TensorFlow defines them."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras
import tf_slim as slim
from tf_keras.api._v1.keras.utils import track_tf1_style_variables

import scopes

_INCEPTION_BN = scopes.layer_scope(
    weight_decay=0.1, use_batch_norm=True, batch_norm_decay=0.5,
    batch_norm_scale=False,
    batch_norm_variables_collections={'beta': None, 'gamma': None,
                                      'moving_mean': ['moving_vars'],
                                      'moving_variance': ['moving_vars']})


def _net(images, is_training):
  with scopes.arg_scope(_INCEPTION_BN):
    with scopes.arg_scope([slim.batch_norm], is_training=is_training):
      net = slim.conv2d(images, 4, [3, 3], scope='conv')
      return slim.batch_norm(net, scope='extra_bn', activation_fn=None)


def test_batch_norm_in_graph_mode(graph):
  images = tf.compat.v1.placeholder(tf.float32, [2, 5, 5, 3])
  out = _net(images, is_training=True)
  updates = graph.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
  assert len(updates) == 4
  mean = slim.get_variables_by_name('conv/BatchNorm/moving_mean')[0]
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    sess.run([out, updates], {images: np.full([2, 5, 5, 3], 1.0)})
    assert np.abs(sess.run(mean)).sum() > 0  # the update ran
  assert len(graph.get_collection('moving_vars')) == 4


class _Shimmed(tf_keras.layers.Layer):

  @track_tf1_style_variables
  def call(self, images, training=False):
    return _net(images, is_training=training)


def test_batch_norm_in_eager_under_tf_function():
  layer = _Shimmed()
  images = tf.random.stateless_normal([2, 5, 5, 3], seed=[1, 2]) + 3.0

  @tf.function
  def step(x):
    return layer(x, training=True)

  step(images)
  names = sorted(v.name for v in layer.variables)
  assert names == [
      'conv/BatchNorm/beta:0', 'conv/BatchNorm/moving_mean:0',
      'conv/BatchNorm/moving_variance:0', 'conv/weights:0',
      'extra_bn/beta:0', 'extra_bn/moving_mean:0', 'extra_bn/moving_variance:0']
  assert len(layer.trainable_variables) == 3
  assert len(layer.losses) == 1  # the conv's weight decay
  means = {v.name: v for v in layer.variables}
  first = means['conv/BatchNorm/moving_mean:0'].numpy().copy()
  assert np.abs(first).sum() > 0  # moving averages updated inside tf.function
  step(images)
  assert not np.allclose(means['conv/BatchNorm/moving_mean:0'].numpy(), first)
  # Inference uses the moving statistics and creates no new variables.
  out = layer(images, training=False)
  assert out.shape == (2, 5, 5, 4) and len(layer.variables) == 7


def test_variable_hash_and_equality_keep_tensorflows_meaning():
  with tf.Graph().as_default():  # TF1 graph mode: identity
    v, w = tf.compat.v1.Variable(1.0), tf.compat.v1.Variable(1.0)
    assert hash(v) == id(v) and v == v and not v == w and len({v, w}) == 2
  eager = tf.Variable(1.0)  # TF2 eager: unhashable, == compares values
  with pytest.raises(TypeError, match='unhashable'):
    hash(eager)
  assert isinstance(eager == tf.Variable(1.0), tf.Tensor)

  @tf.function
  def inside_a_function():
    with pytest.raises(TypeError, match='unhashable'):
      hash(eager)
    return eager == eager

  assert bool(inside_a_function())


@pytest.mark.parametrize('map_size, kernel, stride, padding, dtype, as_matmul', [
    (7, [7, 7], 1, 'VALID', 'float32', True),    # VGG's fc6
    (1, [1, 1], 1, 'SAME', 'float32', True),     # logits on a pooled map
    (7, [7, 7], 1, 'SAME', 'float32', False),    # a 7x7 output: a convolution
    (8, [7, 7], 1, 'VALID', 'float32', False),   # 2x2 outputs
    (3, [1, 1], 1, 'SAME', 'float32', False),    # pointwise, float32: oneDNN's own
    (3, [1, 1], 1, 'SAME', 'bfloat16', True),    # pointwise, half precision
    (4, [1, 1], 2, 'SAME', 'bfloat16', False),   # strided
    (3, [3, 3], 1, 'SAME', 'bfloat16', False),
])
def test_convolutions_that_are_matrix_products_run_as_one(map_size, kernel, stride, padding,
                                                          dtype, as_matmul):
  rng = np.random.RandomState(0)
  images = rng.randn(2, map_size, map_size, 5).astype(np.float32)
  weights = rng.randn(*kernel, 5, 3).astype(np.float32)
  biases = rng.randn(3).astype(np.float32)
  with tf.Graph().as_default() as graph:
    outputs = slim.conv2d(tf.cast(images, dtype), 3, kernel, stride, padding=padding,
                          scope='fc', weights_initializer=tf.compat.v1.constant_initializer(
                              weights.astype(dtype)),
                          biases_initializer=tf.compat.v1.constant_initializer(biases))
    names = [v.op.name for v in tf.compat.v1.global_variables()]
    ops = {op.type for op in graph.get_operations()}
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      got = sess.run(tf.cast(outputs, tf.float32))
  assert names == ['fc/weights', 'fc/biases']  # the variables TF-Slim's checkpoints hold
  assert ('MatMul' in ops, 'Conv2D' in ops) == (as_matmul, not as_matmul)
  cast = lambda a: tf.cast(tf.cast(a, dtype), tf.float32)  # the inputs' rounding
  expected = np.maximum(tf.nn.conv2d(cast(images), cast(weights), stride, padding).numpy()
                        + cast(biases).numpy(), 0)
  assert got.shape == expected.shape
  tolerance = 1e-5 if dtype == 'float32' else 5e-2
  np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)


def test_a_whole_map_convolution_trains_and_decays_like_a_convolution():
  """Gradients and weight decay reach fc6's kernel through the matrix product."""
  class Fc(tf_keras.layers.Layer):
    @track_tf1_style_variables
    def call(self, images):
      return slim.conv2d(images, 3, [4, 4], padding='VALID', scope='fc',
                         weights_regularizer=slim.l2_regularizer(0.5))

  layer = Fc()
  images = tf.random.stateless_normal([2, 4, 4, 5], seed=[1, 2])
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(layer(images)) + tf.add_n(layer.losses)
  variables = {v.name.split('/')[-1]: v for v in layer.trainable_variables}
  kernel = variables['weights:0']
  assert kernel.shape == (4, 4, 5, 3) and len(layer.losses) == 1
  with tf.GradientTape() as reference_tape:
    reference = tf.nn.relu(tf.nn.conv2d(images, kernel, 1, 'VALID') + variables['biases:0'])
    reference_loss = tf.reduce_sum(reference) + 0.5 * tf.nn.l2_loss(kernel)
  np.testing.assert_allclose(tape.gradient(loss, kernel), reference_tape.gradient(
      reference_loss, kernel), rtol=1e-5, atol=1e-5)
