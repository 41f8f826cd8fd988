"""I3D (Carreira and Zisserman, 2017): Inception v1 inflated to 3-D for video,
with TF-Slim's API and names.

Every Inception v1 layer becomes its 3-D counterpart on [batch, frames,
height, width, channels] input: the 7x7 stem convolution a 7x7x7 one, each
module's 3x3 convolutions 3x3x3 (`temporal_kernel_size` frames deep), the
early poolings spatial only (1x3x3), the later ones over time too. The logits
are averaged over the frames that remain. The variables keep Inception v1's
scope, `InceptionV1/...`.
"""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import inception_utils
from nets import registry
from nets.inception_blocks import block, build_base, conv3d, max_pool3d

# Inception v1's module depths: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 | pool -> 1x1.
MODULE_DEPTHS = (
    ('Mixed_3b', 64, 96, 128, 16, 32, 32),
    ('Mixed_3c', 128, 128, 192, 32, 96, 64),
    ('Mixed_4b', 192, 96, 208, 16, 48, 64),
    ('Mixed_4c', 160, 112, 224, 24, 64, 64),
    ('Mixed_4d', 128, 128, 256, 24, 64, 64),
    ('Mixed_4e', 112, 144, 288, 32, 64, 64),
    ('Mixed_4f', 256, 160, 320, 32, 128, 128),
    ('Mixed_5b', 256, 160, 320, 32, 128, 128),
    ('Mixed_5c', 384, 192, 384, 48, 128, 128),
)


def module_3d(scope, d0, d1a, d1b, d2a, d2b, d3, temporal_kernel_size=3):
  """An inflated Inception v1 module."""
  spatiotemporal = (temporal_kernel_size, 3, 3)
  return block(scope,
               [conv3d(d0, 1, 'Conv2d_0a_1x1')],
               [conv3d(d1a, 1, 'Conv2d_0a_1x1'), conv3d(d1b, spatiotemporal, 'Conv2d_0b_3x3')],
               [conv3d(d2a, 1, 'Conv2d_0a_1x1'), conv3d(d2b, spatiotemporal, 'Conv2d_0b_3x3')],
               [max_pool3d(3, 'MaxPool_0a_3x3'), conv3d(d3, 1, 'Conv2d_0b_1x1')])


def _table():
  modules = {depths[0]: module_3d(*depths) for depths in MODULE_DEPTHS}
  return (
      conv3d(64, 7, 'Conv2d_1a_7x7', stride=2),
      max_pool3d((1, 3, 3), 'MaxPool_2a_3x3', stride=(1, 2, 2)),
      conv3d(64, 1, 'Conv2d_2b_1x1'),
      conv3d(192, 3, 'Conv2d_2c_3x3'),
      max_pool3d((1, 3, 3), 'MaxPool_3a_3x3', stride=(1, 2, 2)),
      modules['Mixed_3b'], modules['Mixed_3c'],
      max_pool3d(3, 'MaxPool_4a_3x3', stride=2),
      modules['Mixed_4b'], modules['Mixed_4c'], modules['Mixed_4d'], modules['Mixed_4e'],
      modules['Mixed_4f'],
      max_pool3d(2, 'MaxPool_5a_2x2', stride=2),
      modules['Mixed_5b'], modules['Mixed_5c'],
  )


I3D_TABLE = _table()


def i3d_base(inputs, final_endpoint='Mixed_5c', scope='InceptionV1'):
  """I3D from the [batch, frames, height, width, 3] input up to `final_endpoint`
  (an end point of Inception v1: 'Conv2d_1a_7x7' ... 'Mixed_5c').

  Returns:
    (net, end_points).
  """
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs]):
    with scopes.arg_scope([slim.conv3d], weights_initializer=scopes.trunc_normal(0.01)):
      with scopes.arg_scope([slim.conv3d, slim.max_pool3d], stride=1, padding='SAME'):
        return build_base(inputs, I3D_TABLE, final_endpoint, concat_axis=4)


def reduced_kernel_size_3d(net, kernel_size):
  """`kernel_size` clipped to the static frames, height and width of `net`."""
  shape = net.shape.as_list()[1:4]
  return [k if s is None else min(s, k) for s, k in zip(shape, kernel_size, strict=True)]


def i3d(inputs, num_classes=1000, dropout_keep_prob=0.8, is_training=True,
        prediction_fn=slim.softmax, spatial_squeeze=True, reuse=None, scope='InceptionV1'):
  """I3D video classifier; trained on 64 frames of 224x224.

  Args:
    inputs: [batch, frames, height, width, 3].
    num_classes: classes of the logits; 0 or None returns the pooled features,
      averaged over frames like the logits.
    dropout_keep_prob: the fraction kept by dropout before the logits.
    is_training: batch norm and dropout in training mode.
    prediction_fn: turns logits into `end_points['Predictions']`.
    spatial_squeeze: squeeze the logits to [batch, num_classes].
    reuse: reuse the variables of an earlier call.
    scope: variable scope.

  Returns:
    (logits, end_points).
  """
  if len(inputs.shape) != 5:
    raise ValueError('i3d takes [batch, frames, height, width, channels] inputs, got rank %d'
                     % len(inputs.shape))
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs], reuse=reuse) as sc:
    with scopes.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = i3d_base(inputs, scope=sc)
      return video_classifier(net, end_points, num_classes, dropout_keep_prob, spatial_squeeze,
                              prediction_fn)


def video_classifier(net, end_points, num_classes, dropout_keep_prob, spatial_squeeze,
                     prediction_fn):
  """I3D's and S3D-G's head, in scope Logits: a 2x7x7 average pool (clipped for
  small inputs), dropout, 1x1x1 logits averaged over the remaining frames.

  Returns:
    (logits, end_points); with `num_classes` 0 or None the pooled features
    averaged over frames, [batch, 1, 1, channels], instead of logits.
  """
  with tf.compat.v1.variable_scope('Logits'):
    kernel = reduced_kernel_size_3d(net, [2, 7, 7])
    net = slim.avg_pool3d(net, kernel, stride=1, scope='AvgPool_0a_7x7')
    if not num_classes:
      return tf.reduce_mean(net, axis=1), end_points
    net = slim.dropout(net, dropout_keep_prob, scope='Dropout_0b')
    logits = slim.conv3d(net, num_classes, [1, 1, 1], activation_fn=None, normalizer_fn=None,
                         scope='Conv2d_0c_1x1')
    logits = tf.reduce_mean(logits, axis=1)  # over the remaining frames
    if spatial_squeeze:
      logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
  end_points['Logits'] = logits
  end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
  return logits, end_points


def i3d_arg_scope(weight_decay=1e-7, batch_norm_decay=0.999, batch_norm_epsilon=0.001):
  """Defaults for I3D: ReLU and batch norm (no scale) on every 3-D convolution,
  L2 decay, the batch-norm statistics in the 'moving_vars' collection."""
  return scopes.merge(
      inception_utils.inception_arg_scope(weight_decay=weight_decay,
                                          batch_norm_decay=batch_norm_decay,
                                          batch_norm_epsilon=batch_norm_epsilon),
      conv3d_scope(weight_decay, batch_norm_decay, batch_norm_epsilon))


def conv3d_scope(weight_decay, batch_norm_decay, batch_norm_epsilon):
  batch_norm = scopes.batch_norm_params(
      batch_norm_decay, batch_norm_epsilon, scale=False,
      variables_collections={'beta': None, 'gamma': None,
                             'moving_mean': [inception_utils.BATCH_NORM_VAR_COLLECTION],
                             'moving_variance': [inception_utils.BATCH_NORM_VAR_COLLECTION]})
  return scopes.scope_for([slim.conv3d], weights_regularizer=scopes.l2_regularizer(weight_decay),
                          activation_fn=tf.nn.relu, normalizer_fn=slim.batch_norm,
                          normalizer_params=batch_norm)


i3d.default_image_size = 224
# No official checkpoint; 1001 classes as for the other TF-Slim nets. Video
# input has no preprocessing of ours yet: 'inception' is the per-frame one.
registry.register(arg_scope=i3d_arg_scope, num_classes=1001, preprocessing='inception',
                  logits_scopes=('InceptionV1/Logits',), input_frames=64)(i3d)
