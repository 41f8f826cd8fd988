"""Inception-ResNet-v2 (Szegedy et al. 2016, "Inception-v4, Inception-ResNet and
the Impact of Residual Connections"), with TF-Slim's API and checkpoint names.

The stem and the reductions are tables of `nets.inception_blocks` items. A
residual block concatenates the branches of its table (a scopeless
`inception_blocks.block`), projects them back to the input depth with a
1x1 convolution (bias, no batch norm), scales that by 0.17, 0.10 or 0.20 (for
the 35x35, 17x17 and 8x8 blocks) and adds it to its input.
"""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import registry
from nets.inception_blocks import avg_pool
from nets.inception_blocks import block
from nets.inception_blocks import build
from nets.inception_blocks import build_base
from nets.inception_blocks import conv
from nets.inception_blocks import end_point_names
from nets.inception_blocks import max_pool
from nets.inception_heads import flat_classifier

# The branches of the residual blocks (Figures 16, 17 and 19 of the paper).
BLOCK35 = (
    [conv(32, 1, 'Conv2d_1x1')],
    [conv(32, 1, 'Conv2d_0a_1x1'), conv(32, 3, 'Conv2d_0b_3x3')],
    [conv(32, 1, 'Conv2d_0a_1x1'), conv(48, 3, 'Conv2d_0b_3x3'), conv(64, 3, 'Conv2d_0c_3x3')],
)
BLOCK17 = (
    [conv(192, 1, 'Conv2d_1x1')],
    [conv(128, 1, 'Conv2d_0a_1x1'), conv(160, [1, 7], 'Conv2d_0b_1x7'),
     conv(192, [7, 1], 'Conv2d_0c_7x1')],
)
BLOCK8 = (
    [conv(192, 1, 'Conv2d_1x1')],
    [conv(192, 1, 'Conv2d_0a_1x1'), conv(224, [1, 3], 'Conv2d_0b_1x3'),
     conv(256, [3, 1], 'Conv2d_0c_3x1')],
)


def _stem(padding):
  """299x299x3 -> 35x35x320; `padding` is VALID, or SAME to align the maps."""
  return [
      conv(32, 3, 'Conv2d_1a_3x3', stride=2, padding=padding),
      conv(32, 3, 'Conv2d_2a_3x3', padding=padding),
      conv(64, 3, 'Conv2d_2b_3x3'),
      max_pool(3, 'MaxPool_3a_3x3', stride=2, padding=padding),
      conv(80, 1, 'Conv2d_3b_1x1', padding=padding),
      conv(192, 3, 'Conv2d_4a_3x3', padding=padding),
      max_pool(3, 'MaxPool_5a_3x3', stride=2, padding=padding),
      block('Mixed_5b',
            [conv(96, 1, 'Conv2d_1x1')],
            [conv(48, 1, 'Conv2d_0a_1x1'), conv(64, 5, 'Conv2d_0b_5x5')],
            [conv(64, 1, 'Conv2d_0a_1x1'), conv(96, 3, 'Conv2d_0b_3x3'),
             conv(96, 3, 'Conv2d_0c_3x3')],
            [avg_pool(3, 'AvgPool_0a_3x3'), conv(64, 1, 'Conv2d_0b_1x1')]),
  ]


def _mixed_6a(stride, padding):
  """35x35x320 -> 17x17x1088 (Reduction-A, k=256, l=256, m=384, n=384)."""
  return block('Mixed_6a',
               [conv(384, 3, 'Conv2d_1a_3x3', stride=stride, padding=padding)],
               [conv(256, 1, 'Conv2d_0a_1x1'), conv(256, 3, 'Conv2d_0b_3x3'),
                conv(384, 3, 'Conv2d_1a_3x3', stride=stride, padding=padding)],
               [max_pool(3, 'MaxPool_1a_3x3', stride=stride, padding=padding)])


def _mixed_7a(padding):
  """17x17x1088 -> 8x8x2080 (Reduction-B, Figure 18)."""
  return block('Mixed_7a',
               [conv(256, 1, 'Conv2d_0a_1x1'),
                conv(384, 3, 'Conv2d_1a_3x3', stride=2, padding=padding)],
               [conv(256, 1, 'Conv2d_0a_1x1'),
                conv(288, 3, 'Conv2d_1a_3x3', stride=2, padding=padding)],
               [conv(256, 1, 'Conv2d_0a_1x1'), conv(288, 3, 'Conv2d_0b_3x3'),
                conv(320, 3, 'Conv2d_1a_3x3', stride=2, padding=padding)],
               [max_pool(3, 'MaxPool_1a_3x3', stride=2, padding=padding)])


_STEM_END_POINTS = end_point_names(_stem('VALID'))
_END_POINTS = _STEM_END_POINTS + ['Mixed_6a', 'PreAuxLogits', 'Mixed_7a', 'Conv2d_7b_1x1']


def _residual_block(net, branches, scale, activation_fn, scope, default_scope, reuse):
  with tf.compat.v1.variable_scope(scope, default_scope, [net], reuse=reuse):
    mixed = build(net, block(None, *branches))
    up = slim.conv2d(mixed, net.shape[3], 1, normalizer_fn=None, activation_fn=None,
                     scope='Conv2d_1x1')
    scaled_up = up * scale
    if activation_fn == tf.nn.relu6:
      # Keeps the residual within relu6's range, as TF-Slim does.
      scaled_up = tf.clip_by_value(scaled_up, -6.0, 6.0)
    net += scaled_up
    if activation_fn:
      net = activation_fn(net)
  return net


def block35(net, scale=1.0, activation_fn=tf.nn.relu, scope=None, reuse=None):
  """The 35x35 residual block (Inception-ResNet-A).

  Args:
    net: a [batch, height, width, depth] tensor.
    scale: factor of the residual before it is added to `net`.
    activation_fn: applied to the sum; None for none.
    scope: variable scope, 'Block35' by default.
    reuse: reuse the variables of a previous call.

  Returns:
    A tensor of the shape of `net`.
  """
  return _residual_block(net, BLOCK35, scale, activation_fn, scope, 'Block35', reuse)


def block17(net, scale=1.0, activation_fn=tf.nn.relu, scope=None, reuse=None):
  """The 17x17 residual block (Inception-ResNet-B); arguments as `block35`."""
  return _residual_block(net, BLOCK17, scale, activation_fn, scope, 'Block17', reuse)


def block8(net, scale=1.0, activation_fn=tf.nn.relu, scope=None, reuse=None):
  """The 8x8 residual block (Inception-ResNet-C); arguments as `block35`."""
  return _residual_block(net, BLOCK8, scale, activation_fn, scope, 'Block8', reuse)


def inception_resnet_v2_base(inputs,
                             final_endpoint='Conv2d_7b_1x1',
                             output_stride=16,
                             align_feature_maps=False,
                             scope=None,
                             activation_fn=tf.nn.relu):
  """Inception-ResNet-v2 up to `final_endpoint`.

  Args:
    inputs: a [batch, height, width, 3] tensor.
    final_endpoint: the last end point to build: 'Conv2d_1a_3x3',
      'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'MaxPool_3a_3x3', 'Conv2d_3b_1x1',
      'Conv2d_4a_3x3', 'MaxPool_5a_3x3', 'Mixed_5b', 'Mixed_6a',
      'PreAuxLogits', 'Mixed_7a' or 'Conv2d_7b_1x1'.
    output_stride: 16, or 8 for a denser map (Mixed_6a keeps the resolution,
      the 17x17 blocks use atrous convolution of rate 2); 8 is only supported
      up to 'PreAuxLogits'.
    align_feature_maps: SAME instead of VALID padding in the stem and the
      reductions, so that each map is the input size over its stride, rounded up.
    scope: optional variable scope.
    activation_fn: activation of the residual blocks.

  Returns:
    (the tensor of `final_endpoint`, dict of end points built so far).

  Raises:
    ValueError: for an unknown `final_endpoint`, an `output_stride` other than
      8 or 16, or output_stride 8 with an end point past 'PreAuxLogits'.
  """
  if output_stride not in (8, 16):
    raise ValueError('output_stride must be 8 or 16.')
  if final_endpoint not in _END_POINTS:
    raise ValueError('final_endpoint (%s) not recognized' % final_endpoint)
  if output_stride == 8 and (_END_POINTS.index(final_endpoint) >
                             _END_POINTS.index('PreAuxLogits')):
    raise ValueError('output_stride==8 is only supported up to the '
                     'PreAuxlogits end_point for now.')
  padding = 'SAME' if align_feature_maps else 'VALID'
  use_atrous = output_stride == 8

  with tf.compat.v1.variable_scope(scope, 'InceptionResnetV2', [inputs]):
    with scopes.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d],
                          stride=1, padding='SAME'):
      in_stem = final_endpoint in _STEM_END_POINTS
      net, end_points = build_base(inputs, _stem(padding),
                                   final_endpoint if in_stem else 'Mixed_5b')
      if in_stem:
        return net, end_points

      net = slim.repeat(net, 10, block35, scale=0.17, activation_fn=activation_fn)
      net = build(net, _mixed_6a(1 if use_atrous else 2, padding))
      end_points['Mixed_6a'] = net
      if final_endpoint == 'Mixed_6a':
        return net, end_points

      with scopes.arg_scope([slim.conv2d], rate=2 if use_atrous else 1):
        net = slim.repeat(net, 20, block17, scale=0.10, activation_fn=activation_fn)
      end_points['PreAuxLogits'] = net
      if final_endpoint == 'PreAuxLogits':
        return net, end_points

      net = build(net, _mixed_7a(padding))
      end_points['Mixed_7a'] = net
      if final_endpoint == 'Mixed_7a':
        return net, end_points

      net = slim.repeat(net, 9, block8, scale=0.20, activation_fn=activation_fn)
      net = block8(net, activation_fn=None)  # scope 'Block8'
      net = slim.conv2d(net, 1536, 1, scope='Conv2d_7b_1x1')
      end_points['Conv2d_7b_1x1'] = net
      return net, end_points


def inception_resnet_v2_arg_scope(
    weight_decay=0.00004,
    batch_norm_decay=0.9997,
    batch_norm_epsilon=0.001,
    activation_fn=tf.nn.relu,
    batch_norm_updates_collections=tf.compat.v1.GraphKeys.UPDATE_OPS,
    batch_norm_scale=False):
  """Defaults for Inception-ResNet-v2: L2 decay on the weights and biases of
  conv and fully connected layers; conv + batch norm (no scale) + activation.

  Args:
    weight_decay: L2 decay of weights and biases.
    batch_norm_decay: decay of the moving averages.
    batch_norm_epsilon: added to the variance.
    activation_fn: after each conv.
    batch_norm_updates_collections: where the moving-average updates go.
    batch_norm_scale: learn a gamma; the official checkpoint has none.

  Returns:
    A `scopes.Scope`.
  """
  regularizer = scopes.l2_regularizer(weight_decay)
  params = scopes.batch_norm_params(batch_norm_decay, batch_norm_epsilon, batch_norm_scale,
                                    batch_norm_updates_collections)
  return scopes.merge(
      scopes.scope_for([slim.conv2d, slim.fully_connected], weights_regularizer=regularizer,
                       biases_regularizer=regularizer),
      scopes.scope_for([slim.conv2d], activation_fn=activation_fn,
                       normalizer_fn=slim.batch_norm, normalizer_params=params))


@registry.register(arg_scope=inception_resnet_v2_arg_scope, num_classes=1001,
                   preprocessing='inception', default_image_size=299,
                   logits_scopes=('InceptionResnetV2/Logits', 'InceptionResnetV2/AuxLogits'),
                   checkpoint='inception_resnet_v2_2016_08_30.tar.gz',
                   published_top1=80.4, published_top5=95.3)
def inception_resnet_v2(inputs, num_classes=1001, is_training=True,
                        dropout_keep_prob=0.8,
                        reuse=None,
                        scope='InceptionResnetV2',
                        create_aux_logits=True,
                        activation_fn=tf.nn.relu):
  """Inception-ResNet-v2 classifier.

  Args:
    inputs: a [batch, height, width, 3] tensor; 299x299 for the checkpoint.
    num_classes: classes of the logits; 0 or None returns the globally pooled
      features instead (no dropout, no logits layer, no auxiliary head).
    is_training: batch norm and dropout in training mode.
    dropout_keep_prob: fraction of the pooled features kept in training.
    reuse: reuse the variables of a previous call.
    scope: variable scope.
    create_aux_logits: build the auxiliary classifier on PreAuxLogits.
    activation_fn: activation of the residual blocks.

  Returns:
    (logits [batch, num_classes], or the pooled features when num_classes is
    0 or None; dict of end points).
  """
  with tf.compat.v1.variable_scope(scope, 'InceptionResnetV2', [inputs],
                                   reuse=reuse) as scope:
    with scopes.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = inception_resnet_v2_base(inputs, scope=scope,
                                                 activation_fn=activation_fn)

      logits = flat_classifier(
          net, end_points, num_classes, dropout_keep_prob, 'AvgPool_1a_8x8',
          aux_net=end_points['PreAuxLogits'] if create_aux_logits else None,
          aux_scopes=('Conv2d_1a_3x3', 'Conv2d_2a_5x5', 'Logits'))
  return logits, end_points
