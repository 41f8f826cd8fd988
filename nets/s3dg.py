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
from nets import i3d
from nets import registry
from nets.inception_blocks import Layer, block, build_base, conv3d, depth_fn, max_pool3d

# The end points where temporal convolutions and gating may start.
_ORDER = ('Conv2d_1a_7x7', 'MaxPool_2a_3x3', 'Conv2d_2b_1x1', 'Conv2d_2c_3x3', 'MaxPool_3a_3x3',
          'Mixed_3b', 'Mixed_3c', 'MaxPool_4a_3x3', 'Mixed_4b', 'Mixed_4c', 'Mixed_4d',
          'Mixed_4e', 'Mixed_4f', 'MaxPool_5a_2x2', 'Mixed_5b', 'Mixed_5c')


def self_gating(net, scope):
  """`net` times sigmoid(W mean(net)), W a 1x1x1 convolution without bias."""
  pooled = tf.reduce_mean(net, [1, 2, 3], keepdims=True)
  weights = slim.conv3d(pooled, net.shape[4], [1, 1, 1], activation_fn=None, normalizer_fn=None,
                        biases_initializer=None, weights_initializer=scopes.trunc_normal(0.01),
                        scope=scope + '/self_gating/transformer_W')
  return tf.sigmoid(weights) * net


@scopes.add_arg_scope
def conv3d_spatiotemporal(inputs, num_outputs, kernel_size, stride=1, padding='SAME',
                          separable=False, gating=False, scope=None, **kwargs):
  """A 3-D convolution, separable into spatial and temporal parts when
  `separable` and the kernel spans more than one frame; gated when `gating`."""
  stride = [stride] * 3 if isinstance(stride, int) else list(stride)
  if separable and kernel_size[0] != 1:
    net = slim.conv3d(inputs, num_outputs, [1, kernel_size[1], kernel_size[2]],
                      stride=[1, stride[1], stride[2]], padding=padding, scope=scope, **kwargs)
    kwargs.pop('normalizer_fn', None)
    net = slim.conv3d(net, num_outputs, [kernel_size[0], 1, 1], stride=[stride[0], 1, 1],
                      padding=padding, normalizer_fn=None, scope=scope + '/temporal', **kwargs)
  else:
    net = slim.conv3d(inputs, num_outputs, kernel_size, stride=stride, padding=padding,
                      scope=scope, **kwargs)
  return self_gating(net, scope) if gating else net


conv3d_spatiotemporal.rank = 3


def _conv(depth, kernel, scope, gating=False, **options):
  return Layer(conv3d_spatiotemporal, depth, kernel, 1, scope, None, None,
               dict(options, gating=gating))


def _table(first_temporal_kernel_size, temporal_conv_startat, gating_startat):
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

  modules = {depths[0]: module(*depths) for depths in i3d.MODULE_DEPTHS}
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
              depth_multiplier=1.0, scope='InceptionV1'):
  """S3D-G from the [batch, frames, height, width, 3] input up to `final_endpoint`.

  Args:
    inputs: [batch, frames, height, width, 3].
    first_temporal_kernel_size: frames spanned by the first convolution.
    temporal_conv_startat: the first end point with temporal convolutions
      (None: none; S3D without the T).
    gating_startat: the first end point with self-gating (None: S3D).
    final_endpoint: the last end point built.
    min_depth, depth_multiplier: scale every layer's channels.
    scope: variable scope.

  Returns:
    (net, end_points).
  """
  table = _table(first_temporal_kernel_size, temporal_conv_startat, gating_startat)
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs]):
    with scopes.arg_scope([slim.conv3d], weights_initializer=scopes.trunc_normal(0.01)):
      with scopes.arg_scope([slim.conv3d, slim.max_pool3d], stride=1, padding='SAME'):
        return build_base(inputs, table, final_endpoint, depth_fn(min_depth, depth_multiplier),
                          concat_axis=4)


def s3dg(inputs, num_classes=1000, first_temporal_kernel_size=3,
         temporal_conv_startat='Conv2d_2c_3x3', gating_startat='Conv2d_2c_3x3',
         final_endpoint='Mixed_5c', min_depth=16, depth_multiplier=1.0, dropout_keep_prob=0.8,
         is_training=True, prediction_fn=slim.softmax, spatial_squeeze=True, reuse=None,
         scope='InceptionV1'):
  """S3D-G video classifier; trained on 64 frames of 224x224.

  Args:
    inputs: [batch, frames, height, width, 3].
    num_classes: classes of the logits; 0 or None returns the pooled features.
    first_temporal_kernel_size, temporal_conv_startat, gating_startat,
      final_endpoint, min_depth, depth_multiplier: as in `s3dg_base`.
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
    raise ValueError('s3dg takes [batch, frames, height, width, channels] inputs, got rank %d'
                     % len(inputs.shape))
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs], reuse=reuse) as sc:
    with scopes.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = s3dg_base(inputs, first_temporal_kernel_size, temporal_conv_startat,
                                  gating_startat, final_endpoint, min_depth, depth_multiplier,
                                  scope=sc)
      return i3d.video_classifier(net, end_points, num_classes, dropout_keep_prob,
                                  spatial_squeeze, prediction_fn)


s3dg.default_image_size = 224


def s3dg_arg_scope(weight_decay=1e-7, batch_norm_decay=0.999, batch_norm_epsilon=0.001):
  """I3D's defaults, and separable spatio-temporal convolutions."""
  return scopes.merge(i3d.i3d_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon),
                      scopes.scope_for([conv3d_spatiotemporal], separable=True))


registry.register(arg_scope=s3dg_arg_scope, num_classes=1001, preprocessing='inception',
                  logits_scopes=('InceptionV1/Logits',), input_frames=64)(s3dg)
