"""Inception v1 (GoogLeNet), with TF-Slim's API and checkpoint names.

Szegedy et al., "Going deeper with convolutions", https://arxiv.org/abs/1409.4842.
As in TF-Slim, the "5x5" branch of each module is a 3x3 convolution and every
convolution has batch norm (from `inception_v1_arg_scope`).

    with slim.arg_scope(inception_v1.inception_v1_arg_scope()):
      logits, end_points = inception_v1.inception_v1(images, num_classes=1001)
"""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import inception_utils
from nets import registry
from nets.inception_blocks import block
from nets.inception_blocks import build_base
from nets.inception_blocks import conv
from nets.inception_blocks import max_pool
from scopes import trunc_normal

# The layers before the first module; left out with include_root_block=False.
_ROOT = (
    conv(64, 7, 'Conv2d_1a_7x7', stride=2),
    max_pool(3, 'MaxPool_2a_3x3', stride=2),
    conv(64, 1, 'Conv2d_2b_1x1'),
    conv(192, 3, 'Conv2d_2c_3x3'),
    max_pool(3, 'MaxPool_3a_3x3', stride=2),
)

# Branches: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 | 3x3 max pool -> 1x1.
_MIXED_BLOCKS = (
    block('Mixed_3b',
          [conv(64, 1, 'Conv2d_0a_1x1')],
          [conv(96, 1, 'Conv2d_0a_1x1'), conv(128, 3, 'Conv2d_0b_3x3')],
          [conv(16, 1, 'Conv2d_0a_1x1'), conv(32, 3, 'Conv2d_0b_3x3')],
          [max_pool(3, 'MaxPool_0a_3x3'), conv(32, 1, 'Conv2d_0b_1x1')]),
    block('Mixed_3c',
          [conv(128, 1, 'Conv2d_0a_1x1')],
          [conv(128, 1, 'Conv2d_0a_1x1'), conv(192, 3, 'Conv2d_0b_3x3')],
          [conv(32, 1, 'Conv2d_0a_1x1'), conv(96, 3, 'Conv2d_0b_3x3')],
          [max_pool(3, 'MaxPool_0a_3x3'), conv(64, 1, 'Conv2d_0b_1x1')]),
    max_pool(3, 'MaxPool_4a_3x3', stride=2),
    block('Mixed_4b',
          [conv(192, 1, 'Conv2d_0a_1x1')],
          [conv(96, 1, 'Conv2d_0a_1x1'), conv(208, 3, 'Conv2d_0b_3x3')],
          [conv(16, 1, 'Conv2d_0a_1x1'), conv(48, 3, 'Conv2d_0b_3x3')],
          [max_pool(3, 'MaxPool_0a_3x3'), conv(64, 1, 'Conv2d_0b_1x1')]),
    block('Mixed_4c',
          [conv(160, 1, 'Conv2d_0a_1x1')],
          [conv(112, 1, 'Conv2d_0a_1x1'), conv(224, 3, 'Conv2d_0b_3x3')],
          [conv(24, 1, 'Conv2d_0a_1x1'), conv(64, 3, 'Conv2d_0b_3x3')],
          [max_pool(3, 'MaxPool_0a_3x3'), conv(64, 1, 'Conv2d_0b_1x1')]),
    block('Mixed_4d',
          [conv(128, 1, 'Conv2d_0a_1x1')],
          [conv(128, 1, 'Conv2d_0a_1x1'), conv(256, 3, 'Conv2d_0b_3x3')],
          [conv(24, 1, 'Conv2d_0a_1x1'), conv(64, 3, 'Conv2d_0b_3x3')],
          [max_pool(3, 'MaxPool_0a_3x3'), conv(64, 1, 'Conv2d_0b_1x1')]),
    block('Mixed_4e',
          [conv(112, 1, 'Conv2d_0a_1x1')],
          [conv(144, 1, 'Conv2d_0a_1x1'), conv(288, 3, 'Conv2d_0b_3x3')],
          [conv(32, 1, 'Conv2d_0a_1x1'), conv(64, 3, 'Conv2d_0b_3x3')],
          [max_pool(3, 'MaxPool_0a_3x3'), conv(64, 1, 'Conv2d_0b_1x1')]),
    block('Mixed_4f',
          [conv(256, 1, 'Conv2d_0a_1x1')],
          [conv(160, 1, 'Conv2d_0a_1x1'), conv(320, 3, 'Conv2d_0b_3x3')],
          [conv(32, 1, 'Conv2d_0a_1x1'), conv(128, 3, 'Conv2d_0b_3x3')],
          [max_pool(3, 'MaxPool_0a_3x3'), conv(128, 1, 'Conv2d_0b_1x1')]),
    max_pool(2, 'MaxPool_5a_2x2', stride=2),
    block('Mixed_5b',
          [conv(256, 1, 'Conv2d_0a_1x1')],
          [conv(160, 1, 'Conv2d_0a_1x1'), conv(320, 3, 'Conv2d_0b_3x3')],
          # 0a, not 0b: the name in the official checkpoint.
          [conv(32, 1, 'Conv2d_0a_1x1'), conv(128, 3, 'Conv2d_0a_3x3')],
          [max_pool(3, 'MaxPool_0a_3x3'), conv(128, 1, 'Conv2d_0b_1x1')]),
    block('Mixed_5c',
          [conv(384, 1, 'Conv2d_0a_1x1')],
          [conv(192, 1, 'Conv2d_0a_1x1'), conv(384, 3, 'Conv2d_0b_3x3')],
          [conv(48, 1, 'Conv2d_0a_1x1'), conv(128, 3, 'Conv2d_0b_3x3')],
          [max_pool(3, 'MaxPool_0a_3x3'), conv(128, 1, 'Conv2d_0b_1x1')]),
)


def inception_v1_base(inputs,
                      final_endpoint='Mixed_5c',
                      include_root_block=True,
                      scope='InceptionV1'):
  """Inception v1 from the inputs up to `final_endpoint`.

  Args:
    inputs: a tensor of size [batch_size, height, width, channels].
    final_endpoint: the end point to build up to: 'Conv2d_1a_7x7',
      'MaxPool_2a_3x3', 'Conv2d_2b_1x1', 'Conv2d_2c_3x3', 'MaxPool_3a_3x3',
      'Mixed_3b', 'Mixed_3c', 'MaxPool_4a_3x3', 'Mixed_4b', 'Mixed_4c',
      'Mixed_4d', 'Mixed_4e', 'Mixed_4f', 'MaxPool_5a_2x2', 'Mixed_5b' or
      'Mixed_5c'; the first five only with include_root_block.
    include_root_block: build the convolutions and poolings before Mixed_3b;
      without them `inputs` feed Mixed_3b directly.
    scope: optional variable_scope.

  Returns:
    `(net, end_points)`: the output of `final_endpoint` and a dict of every
    end point built.

  Raises:
    ValueError: `final_endpoint` is not one of the above.
  """
  table = (_ROOT if include_root_block else ()) + _MIXED_BLOCKS
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs]):
    with scopes.arg_scope([slim.conv2d, slim.fully_connected],
                          weights_initializer=trunc_normal(0.01)):
      with scopes.arg_scope([slim.conv2d, slim.max_pool2d], stride=1, padding='SAME'):
        return build_base(inputs, table, final_endpoint)


@registry.register(arg_scope=inception_utils.inception_arg_scope, num_classes=1001,
                   preprocessing='inception', logits_scopes=('InceptionV1/Logits',),
                   checkpoint='inception_v1_2016_08_28.tar.gz',
                   published_top1=69.8, published_top5=89.6, default_image_size=224)
def inception_v1(inputs,
                 num_classes=1000,
                 is_training=True,
                 dropout_keep_prob=0.8,
                 prediction_fn=slim.softmax,
                 spatial_squeeze=True,
                 reuse=None,
                 scope='InceptionV1',
                 global_pool=False):
  """Inception v1 classifier; trained at 224x224.

  Args:
    inputs: a tensor of size [batch_size, height, width, channels].
    num_classes: number of classes; 0 or None returns the pooled features
      before dropout instead of logits.
    is_training: training mode of batch norm and dropout.
    dropout_keep_prob: fraction of activations kept by dropout.
    prediction_fn: maps the logits to the 'Predictions' end point.
    spatial_squeeze: squeeze the logits from [B, 1, 1, C] to [B, C].
    reuse: reuse the variables of an earlier call in `scope`.
    scope: optional variable_scope.
    global_pool: average over the whole feature map; else a fixed 7x7
      pooling, which gives larger outputs for larger inputs.

  Returns:
    `(logits, end_points)`; the features instead of logits when num_classes
    is 0 or None.
  """
  with tf.compat.v1.variable_scope(scope, 'InceptionV1', [inputs], reuse=reuse) as scope:
    with scopes.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = inception_v1_base(inputs, scope=scope)
      with tf.compat.v1.variable_scope('Logits'):
        if global_pool:
          net = tf.reduce_mean(net, [1, 2], keepdims=True, name='global_pool')
          end_points['global_pool'] = net
        else:
          net = slim.avg_pool2d(net, [7, 7], stride=1, scope='AvgPool_0a_7x7')
          end_points['AvgPool_0a_7x7'] = net
        if not num_classes:
          return net, end_points
        net = slim.dropout(net, dropout_keep_prob, scope='Dropout_0b')
        logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                             normalizer_fn=None, scope='Conv2d_0c_1x1')
        if spatial_squeeze:
          logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
        end_points['Logits'] = logits
        end_points['Predictions'] = prediction_fn(logits, scope='Predictions')
  return logits, end_points



inception_v1_arg_scope = inception_utils.inception_arg_scope
