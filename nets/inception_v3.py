"""Inception v3, with TF-Slim's API and checkpoint names.

Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
https://arxiv.org/abs/1512.00567.

    with slim.arg_scope(inception_v3.inception_v3_arg_scope()):
      logits, end_points = inception_v3.inception_v3(images, num_classes=1001)
"""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import inception_utils
from nets import registry
from nets.inception_blocks import avg_pool
from nets.inception_blocks import block
from nets.inception_blocks import build
from nets.inception_blocks import build_base
from nets.inception_blocks import conv
from nets.inception_blocks import depth_fn
from nets.inception_blocks import fork
from nets.inception_blocks import max_pool
from nets.inception_blocks import reduced_kernel_size_for_small_input
from nets.inception_heads import pooled_classifier
from scopes import trunc_normal

_reduced_kernel_size_for_small_input = reduced_kernel_size_for_small_input

# The stem: unpadded convolutions and poolings (but Conv2d_2b_3x3).
_STEM = (
    conv(32, 3, 'Conv2d_1a_3x3', stride=2, padding='VALID'),
    conv(32, 3, 'Conv2d_2a_3x3', padding='VALID'),
    conv(64, 3, 'Conv2d_2b_3x3', padding='SAME'),
    max_pool(3, 'MaxPool_3a_3x3', stride=2, padding='VALID'),
    conv(80, 1, 'Conv2d_3b_1x1', padding='VALID'),
    conv(192, 3, 'Conv2d_4a_3x3', padding='VALID'),
    max_pool(3, 'MaxPool_5a_3x3', stride=2, padding='VALID'),
)


def _mixed_5(scope, pool_depth, branch_1=('Conv2d_0a_1x1', 'Conv2d_0b_5x5')):
  """35x35: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg pool -> 1x1."""
  return block(scope,
               [conv(64, 1, 'Conv2d_0a_1x1')],
               [conv(48, 1, branch_1[0]), conv(64, 5, branch_1[1])],
               [conv(64, 1, 'Conv2d_0a_1x1'), conv(96, 3, 'Conv2d_0b_3x3'),
                conv(96, 3, 'Conv2d_0c_3x3')],
               [avg_pool(3, 'AvgPool_0a_3x3'), conv(pool_depth, 1, 'Conv2d_0b_1x1')])


def _mixed_6(scope, width):
  """17x17, the 7x7 factorized into 1x7 and 7x1 of `width` channels."""
  return block(scope,
               [conv(192, 1, 'Conv2d_0a_1x1')],
               [conv(width, 1, 'Conv2d_0a_1x1'), conv(width, (1, 7), 'Conv2d_0b_1x7'),
                conv(192, (7, 1), 'Conv2d_0c_7x1')],
               [conv(width, 1, 'Conv2d_0a_1x1'), conv(width, (7, 1), 'Conv2d_0b_7x1'),
                conv(width, (1, 7), 'Conv2d_0c_1x7'), conv(width, (7, 1), 'Conv2d_0d_7x1'),
                conv(192, (1, 7), 'Conv2d_0e_1x7')],
               [avg_pool(3, 'AvgPool_0a_3x3'), conv(192, 1, 'Conv2d_0b_1x1')])


def _mixed_7(scope, branch_1_3x1):
  """8x8, with the 3x3s split into parallel 1x3 and 3x1."""
  return block(scope,
               [conv(320, 1, 'Conv2d_0a_1x1')],
               [conv(384, 1, 'Conv2d_0a_1x1'),
                fork(conv(384, (1, 3), 'Conv2d_0b_1x3'),
                     conv(384, (3, 1), branch_1_3x1))],
               [conv(448, 1, 'Conv2d_0a_1x1'), conv(384, 3, 'Conv2d_0b_3x3'),
                fork(conv(384, (1, 3), 'Conv2d_0c_1x3'),
                     conv(384, (3, 1), 'Conv2d_0d_3x1'))],
               [avg_pool(3, 'AvgPool_0a_3x3'), conv(192, 1, 'Conv2d_0b_1x1')])


# The odd names below are those of the official checkpoint.
_MIXED_BLOCKS = (
    _mixed_5('Mixed_5b', 32),
    _mixed_5('Mixed_5c', 64, branch_1=('Conv2d_0b_1x1', 'Conv_1_0c_5x5')),
    _mixed_5('Mixed_5d', 64),
    block('Mixed_6a',
          [conv(384, 3, 'Conv2d_1a_1x1', stride=2, padding='VALID')],
          [conv(64, 1, 'Conv2d_0a_1x1'), conv(96, 3, 'Conv2d_0b_3x3'),
           conv(96, 3, 'Conv2d_1a_1x1', stride=2, padding='VALID')],
          [max_pool(3, 'MaxPool_1a_3x3', stride=2, padding='VALID')]),
    _mixed_6('Mixed_6b', 128),
    _mixed_6('Mixed_6c', 160),
    _mixed_6('Mixed_6d', 160),
    _mixed_6('Mixed_6e', 192),
    block('Mixed_7a',
          [conv(192, 1, 'Conv2d_0a_1x1'),
           conv(320, 3, 'Conv2d_1a_3x3', stride=2, padding='VALID')],
          [conv(192, 1, 'Conv2d_0a_1x1'), conv(192, (1, 7), 'Conv2d_0b_1x7'),
           conv(192, (7, 1), 'Conv2d_0c_7x1'),
           conv(192, 3, 'Conv2d_1a_3x3', stride=2, padding='VALID')],
          [max_pool(3, 'MaxPool_1a_3x3', stride=2, padding='VALID')]),
    _mixed_7('Mixed_7b', 'Conv2d_0b_3x1'),
    _mixed_7('Mixed_7c', 'Conv2d_0c_3x1'),
)

_TABLE = _STEM + _MIXED_BLOCKS


def inception_v3_base(inputs,
                      final_endpoint='Mixed_7c',
                      min_depth=16,
                      depth_multiplier=1.0,
                      scope=None):
  """Inception v3 from the inputs up to `final_endpoint`.

  Args:
    inputs: a tensor of size [batch_size, height, width, channels].
    final_endpoint: the end point to build up to: 'Conv2d_1a_3x3',
      'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'MaxPool_3a_3x3', 'Conv2d_3b_1x1',
      'Conv2d_4a_3x3', 'MaxPool_5a_3x3', 'Mixed_5b', 'Mixed_5c', 'Mixed_5d',
      'Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e', 'Mixed_7a',
      'Mixed_7b' or 'Mixed_7c'.
    min_depth: the fewest channels of any convolution (with a
      depth_multiplier < 1).
    depth_multiplier: scales the channels of every convolution.
    scope: optional variable_scope.

  Returns:
    `(net, end_points)`: the output of `final_endpoint` and a dict of every
    end point built.

  Raises:
    ValueError: an unknown final_endpoint, or depth_multiplier <= 0.
  """
  depth = depth_fn(min_depth, depth_multiplier)
  with tf.compat.v1.variable_scope(scope, 'InceptionV3', [inputs]):
    with scopes.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d],
                          stride=1, padding='SAME'):
      return build_base(inputs, _TABLE, final_endpoint, depth)


def _aux_logits(net, num_classes, depth, spatial_squeeze):
  """The auxiliary classifier on Mixed_6e."""
  with scopes.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d],
                        stride=1, padding='SAME'):
    with tf.compat.v1.variable_scope('AuxLogits'):
      net = build(net, [avg_pool(5, 'AvgPool_1a_5x5', stride=3, padding='VALID'),
                        conv(128, 1, 'Conv2d_1b_1x1')], depth)
      # 5x5 for 299x299 inputs; smaller inputs leave a smaller map.
      kernel = reduced_kernel_size_for_small_input(net, [5, 5])
      net = build(net, conv(768, tuple(kernel), 'Conv2d_2a_{}x{}'.format(*kernel),
                            padding='VALID', stddev=0.01), depth)
      net = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                        weights_initializer=trunc_normal(0.001), scope='Conv2d_2b_1x1')
      if spatial_squeeze:
        net = tf.squeeze(net, [1, 2], name='SpatialSqueeze')
  return net


@registry.register(arg_scope=inception_utils.inception_arg_scope, num_classes=1001,
                   preprocessing='inception',
                   logits_scopes=('InceptionV3/Logits', 'InceptionV3/AuxLogits'),
                   checkpoint='inception_v3_2016_08_28.tar.gz',
                   published_top1=78.0, published_top5=93.9, default_image_size=299)
def inception_v3(inputs,
                 num_classes=1000,
                 is_training=True,
                 dropout_keep_prob=0.8,
                 min_depth=16,
                 depth_multiplier=1.0,
                 prediction_fn=slim.softmax,
                 spatial_squeeze=True,
                 reuse=None,
                 create_aux_logits=True,
                 scope='InceptionV3',
                 global_pool=False):
  """Inception v3 classifier; trained at 299x299.

  Args:
    inputs: a tensor of size [batch_size, height, width, channels].
    num_classes: number of classes; 0 or None returns the pooled features
      before dropout instead of logits (and builds no auxiliary classifier).
    is_training: training mode of batch norm and dropout.
    dropout_keep_prob: fraction of activations kept by dropout.
    min_depth: the fewest channels of any convolution.
    depth_multiplier: scales the channels of every convolution.
    prediction_fn: maps the logits to the 'Predictions' end point.
    spatial_squeeze: squeeze the logits from [B, 1, 1, C] to [B, C].
    reuse: reuse the variables of an earlier call in `scope`.
    create_aux_logits: build the auxiliary classifier ('AuxLogits').
    scope: optional variable_scope.
    global_pool: average over the whole feature map; else an 8x8 pooling
      (smaller for small inputs), which gives larger outputs for larger inputs.

  Returns:
    `(logits, end_points)`; the features instead of logits when num_classes
    is 0 or None.

  Raises:
    ValueError: depth_multiplier <= 0.
  """
  depth = depth_fn(min_depth, depth_multiplier)
  with tf.compat.v1.variable_scope(scope, 'InceptionV3', [inputs], reuse=reuse) as scope:
    with scopes.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = inception_v3_base(
          inputs, scope=scope, min_depth=min_depth, depth_multiplier=depth_multiplier)
      if create_aux_logits and num_classes:
        end_points['AuxLogits'] = _aux_logits(end_points['Mixed_6e'], num_classes, depth,
                                              spatial_squeeze)
      logits = pooled_classifier(net, end_points, num_classes, [8, 8], dropout_keep_prob,
                                 spatial_squeeze, global_pool, 'GlobalPool', prediction_fn)
  return logits, end_points



inception_v3_arg_scope = inception_utils.inception_arg_scope
