"""S3D-G (Xie et al., 2018): I3D with separable spatio-temporal convolutions and
self-gating, with TF-Slim's API and names.

The layout is Inception v1's, as in I3D. From `temporal_conv_startat` on, each
3x3 convolution is separable: a 1x3x3 spatial convolution with batch norm, then
a 3x1x1 one in `<scope>/temporal` with biases. From `gating_startat` on, each
branch's output (and Conv2d_2c_3x3's) is scaled channel-wise by a sigmoid gate
computed from its mean over time and space (`<scope>/self_gating/transformer_W`).
"""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import i3d_utils
from nets import inception_utils
from nets import registry
from nets.inception_blocks import Layer, block, build_base, conv3d, depth_fn, max_pool3d

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

# The end points where temporal convolutions and gating may start.
_ORDER = ('Conv2d_1a_7x7', 'MaxPool_2a_3x3', 'Conv2d_2b_1x1', 'Conv2d_2c_3x3', 'MaxPool_3a_3x3',
          'Mixed_3b', 'Mixed_3c', 'MaxPool_4a_3x3', 'Mixed_4b', 'Mixed_4c', 'Mixed_4d',
          'Mixed_4e', 'Mixed_4f', 'MaxPool_5a_2x2', 'Mixed_5b', 'Mixed_5c')


DATA_FORMATS = ('NDHWC', 'NCDHW')


def self_gating(net, scope, data_format='NDHWC'):
  """`net` times sigmoid(W mean(net)), W a 1x1x1 convolution without bias; the
  mean is over frames, height and width."""
  channels = data_format.index('C')
  pooled = tf.reduce_mean(net, [data_format.index(axis) for axis in 'DHW'], keepdims=True)
  weights = slim.conv3d(pooled, net.shape[channels], [1, 1, 1], activation_fn=None,
                        normalizer_fn=None, biases_initializer=None, data_format=data_format,
                        weights_initializer=scopes.trunc_normal(0.01),
                        scope=scope + '/self_gating/transformer_W')
  return tf.sigmoid(weights) * net


conv3d_spatiotemporal = i3d_utils.conv3d_spatiotemporal


@scopes.add_arg_scope
def _gated_conv3d(inputs, num_outputs, kernel_size, scope, data_format='NDHWC', **kwargs):
  """`conv3d_spatiotemporal`, then `self_gating` on its output (S3D-G)."""
  net = conv3d_spatiotemporal(inputs, num_outputs, kernel_size, scope=scope,
                              data_format=data_format, **kwargs)
  return self_gating(net, scope, data_format)


_gated_conv3d.rank = 3


def _conv(depth, kernel, scope, gating=False):
  return Layer(_gated_conv3d if gating else conv3d_spatiotemporal, depth, kernel, 1, scope, None,
               None, None)


def _table(first_temporal_kernel_size, temporal_conv_startat, gating_startat):
  if first_temporal_kernel_size not in (1, 3, 5, 7):
    raise ValueError('first_temporal_kernel_size=%r; valid: 1, 3, 5, 7'
                     % (first_temporal_kernel_size,))
  for name, value in (('temporal_conv_startat', temporal_conv_startat),
                      ('gating_startat', gating_startat)):
    if value is not None and value not in _ORDER:
      raise ValueError('%s=%r is not an end point; valid: %s' % (name, value, ', '.join(_ORDER)))
  at = lambda start, name: start is not None and _ORDER.index(name) >= _ORDER.index(start)

  def module(scope, d0, d1a, d1b, d2a, d2b, d3):
    t = 3 if at(temporal_conv_startat, scope) else 1
    gate = at(gating_startat, scope)
    return block(scope,
                 [_conv(d0, 1, 'Conv2d_0a_1x1', gate)],
                 [_conv(d1a, 1, 'Conv2d_0a_1x1'), _conv(d1b, (t, 3, 3), 'Conv2d_0b_3x3', gate)],
                 [_conv(d2a, 1, 'Conv2d_0a_1x1'), _conv(d2b, (t, 3, 3), 'Conv2d_0b_3x3', gate)],
                 [max_pool3d(3, 'MaxPool_0a_3x3'), _conv(d3, 1, 'Conv2d_0b_1x1', gate)])

  modules = {depths[0]: module(*depths) for depths in MODULE_DEPTHS}
  t_2c = 3 if at(temporal_conv_startat, 'Conv2d_2c_3x3') else 1
  return (
      conv3d(64, (first_temporal_kernel_size, 7, 7), 'Conv2d_1a_7x7', stride=2),
      max_pool3d((1, 3, 3), 'MaxPool_2a_3x3', stride=(1, 2, 2)),
      conv3d(64, 1, 'Conv2d_2b_1x1'),
      _conv(192, (t_2c, 3, 3), 'Conv2d_2c_3x3', at(gating_startat, 'Conv2d_2c_3x3')),
      max_pool3d((1, 3, 3), 'MaxPool_3a_3x3', stride=(1, 2, 2)),
      modules['Mixed_3b'], modules['Mixed_3c'],
      max_pool3d(3, 'MaxPool_4a_3x3', stride=2),
      modules['Mixed_4b'], modules['Mixed_4c'], modules['Mixed_4d'], modules['Mixed_4e'],
      modules['Mixed_4f'],
      max_pool3d(2, 'MaxPool_5a_2x2', stride=2),
      modules['Mixed_5b'], modules['Mixed_5c'],
  )


def s3dg_base(inputs, first_temporal_kernel_size=3, temporal_conv_startat='Conv2d_2c_3x3',
              gating_startat='Conv2d_2c_3x3', final_endpoint='Mixed_5c', min_depth=16,
              depth_multiplier=1.0, data_format='NDHWC', scope='InceptionV1'):
  """S3D-G from the [batch, frames, height, width, 3] input up to `final_endpoint`.

  Args:
    inputs: [batch, frames, height, width, 3], or [batch, 3, frames, height,
      width] with data_format 'NCDHW'.
    first_temporal_kernel_size: frames spanned by the first convolution.
    temporal_conv_startat: the first end point with temporal convolutions
      (None: none; S3D without the T).
    gating_startat: the first end point with self-gating (None: S3D).
    final_endpoint: the last end point built.
    min_depth, depth_multiplier: scale every layer's channels.
    data_format: 'NDHWC' or 'NCDHW' (channels first: the end points too; the
      variables are the same).
    scope: variable scope.

  Returns:
    (net, end_points).
  """
  if data_format not in DATA_FORMATS:
    raise ValueError('data_format=%r; valid: %s' % (data_format, ', '.join(DATA_FORMATS)))
  table = _table(first_temporal_kernel_size, temporal_conv_startat, gating_startat)
  formatted = [slim.conv3d, slim.max_pool3d, conv3d_spatiotemporal, _gated_conv3d]
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs]):
    with scopes.arg_scope([slim.conv3d], weights_initializer=scopes.trunc_normal(0.01)):
      with scopes.arg_scope([slim.conv3d, slim.max_pool3d], stride=1, padding='SAME'), \
          scopes.arg_scope(formatted, data_format=data_format), \
          scopes.arg_scope([slim.batch_norm], data_format=data_format.replace('D', '')):
        return build_base(inputs, table, final_endpoint, depth_fn(min_depth, depth_multiplier),
                          concat_axis=data_format.index('C'))


def s3dg_arg_scope(weight_decay=1e-7, batch_norm_decay=0.999, batch_norm_epsilon=0.001):
  """I3D's defaults, and separable spatio-temporal convolutions."""
  return video_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon,
                         separable_conv3d=True)


@registry.register(arg_scope=s3dg_arg_scope, num_classes=1001, preprocessing='inception',
                   logits_scopes=('InceptionV1/Logits',), default_image_size=224,
                   input_frames=64)
def s3dg(inputs, num_classes=1000, first_temporal_kernel_size=3,
         temporal_conv_startat='Conv2d_2c_3x3', gating_startat='Conv2d_2c_3x3',
         final_endpoint='Mixed_5c', min_depth=16, depth_multiplier=1.0, dropout_keep_prob=0.8,
         is_training=True, prediction_fn=slim.softmax, spatial_squeeze=True, reuse=None,
         data_format='NDHWC', scope='InceptionV1'):
  """S3D-G video classifier; trained on 64 frames of 224x224.

  Args:
    inputs: [batch, frames, height, width, 3] (NCDHW: [batch, 3, frames,
      height, width]).
    num_classes: classes of the logits; 0 or None returns the pooled features.
    first_temporal_kernel_size, temporal_conv_startat, gating_startat,
      final_endpoint, min_depth, depth_multiplier: as in `s3dg_base`.
    dropout_keep_prob: the fraction kept by dropout before the logits.
    is_training: batch norm and dropout in training mode.
    prediction_fn: turns logits into `end_points['Predictions']`.
    spatial_squeeze: squeeze the logits to [batch, num_classes].
    reuse: reuse the variables of an earlier call.
    data_format: 'NDHWC' or 'NCDHW' for the base; the head is NDHWC either way.
    scope: variable scope.

  Returns:
    (logits, end_points).
  """
  if len(inputs.shape) != 5:
    raise ValueError('s3dg takes [batch, frames, height, width, channels] inputs, got rank %d'
                     % len(inputs.shape))
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs], reuse=reuse) as sc:
    with scopes.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = s3dg_base(inputs, first_temporal_kernel_size, temporal_conv_startat,
                                  gating_startat, final_endpoint, min_depth, depth_multiplier,
                                  data_format, scope=sc)
      if data_format == 'NCDHW':  # TF-Slim's head runs on NDHWC
        net = tf.transpose(net, [0, 2, 3, 4, 1])
      return video_classifier(net, end_points, num_classes, dropout_keep_prob, spatial_squeeze,
                              prediction_fn)


def video_classifier(net, end_points, num_classes, dropout_keep_prob, spatial_squeeze,
                     prediction_fn):
  """S3D-G's and I3D's head, in scope Logits: a 2x7x7 average pool (clipped for
  small inputs), dropout, 1x1x1 logits averaged over the remaining frames.

  Returns:
    (logits, end_points); with `num_classes` 0 or None the pooled features
    averaged over frames, [batch, 1, 1, channels], instead of logits.
  """
  with tf.compat.v1.variable_scope('Logits'):
    kernel = i3d_utils.reduced_kernel_size_3d(net, [2, 7, 7])
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


def video_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon, use_renorm=False,
                    separable_conv3d=False):
  """The defaults of S3D-G and I3D: ReLU and batch norm (no scale) on every 3-D
  convolution, L2 decay, the batch-norm statistics in the 'moving_vars'
  collection; batch renormalization with `use_renorm`; spatial and temporal
  parts for `conv3d_spatiotemporal` with `separable_conv3d`."""
  batch_norm = scopes.batch_norm_params(
      batch_norm_decay, batch_norm_epsilon, scale=False,
      variables_collections={'beta': None, 'gamma': None,
                             'moving_mean': [inception_utils.BATCH_NORM_VAR_COLLECTION],
                             'moving_variance': [inception_utils.BATCH_NORM_VAR_COLLECTION]})
  if use_renorm:
    batch_norm['renorm'] = True
  return scopes.merge(
      inception_utils.inception_arg_scope(weight_decay=weight_decay,
                                          batch_norm_decay=batch_norm_decay,
                                          batch_norm_epsilon=batch_norm_epsilon),
      scopes.scope_for([slim.conv3d, conv3d_spatiotemporal],
                       weights_regularizer=scopes.l2_regularizer(weight_decay),
                       activation_fn=tf.nn.relu, normalizer_fn=slim.batch_norm,
                       normalizer_params=batch_norm),
      scopes.scope_for([conv3d_spatiotemporal], separable=separable_conv3d))
