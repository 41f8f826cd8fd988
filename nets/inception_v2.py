"""Inception v2 (BN-Inception), with TF-Slim's API and checkpoint names.

Ioffe and Szegedy, "Batch Normalization: Accelerating Deep Network Training by
Reducing Internal Covariate Shift", https://arxiv.org/abs/1502.03167.

    with slim.arg_scope(inception_v2.inception_v2_arg_scope()):
      logits, end_points = inception_v2.inception_v2(images, num_classes=1001)
"""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import inception_utils
from nets import registry
from nets.inception_blocks import avg_pool
from nets.inception_blocks import block
from nets.inception_blocks import build_base
from nets.inception_blocks import conv
from nets.inception_blocks import depth_fn
from nets.inception_blocks import max_pool
from nets.inception_blocks import reduced_kernel_size_for_small_input
from nets.inception_blocks import separable_conv
from nets.inception_heads import pooled_classifier
from scopes import trunc_normal  # noqa: F401  (TF-Slim's module attribute)

_reduced_kernel_size_for_small_input = reduced_kernel_size_for_small_input

# The layers after the first convolution and before the first module (the
# first one depends on use_separable_conv; see `_root`).
_ROOT = (
    max_pool(3, 'MaxPool_2a_3x3', stride=2),
    conv(64, 1, 'Conv2d_2b_1x1', stddev=0.1),
    conv(192, 3, 'Conv2d_2c_3x3'),
    max_pool(3, 'MaxPool_3a_3x3', stride=2),
)

# The 1x1 convolutions that narrow a branch start at stddev 0.09, those after
# a pooling at 0.1; the rest take the arg_scope's initializer.
_MIXED_BLOCKS = (
    block('Mixed_3b',
          [conv(64, 1, 'Conv2d_0a_1x1')],
          [conv(64, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(64, 3, 'Conv2d_0b_3x3')],
          [conv(64, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(96, 3, 'Conv2d_0b_3x3'),
           conv(96, 3, 'Conv2d_0c_3x3')],
          [avg_pool(3, 'AvgPool_0a_3x3'), conv(32, 1, 'Conv2d_0b_1x1', stddev=0.1)]),
    block('Mixed_3c',
          [conv(64, 1, 'Conv2d_0a_1x1')],
          [conv(64, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(96, 3, 'Conv2d_0b_3x3')],
          [conv(64, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(96, 3, 'Conv2d_0b_3x3'),
           conv(96, 3, 'Conv2d_0c_3x3')],
          [avg_pool(3, 'AvgPool_0a_3x3'), conv(64, 1, 'Conv2d_0b_1x1', stddev=0.1)]),
    block('Mixed_4a',
          [conv(128, 1, 'Conv2d_0a_1x1', stddev=0.09),
           conv(160, 3, 'Conv2d_1a_3x3', stride=2)],
          [conv(64, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(96, 3, 'Conv2d_0b_3x3'),
           conv(96, 3, 'Conv2d_1a_3x3', stride=2)],
          [max_pool(3, 'MaxPool_1a_3x3', stride=2)]),
    block('Mixed_4b',
          [conv(224, 1, 'Conv2d_0a_1x1')],
          [conv(64, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(96, 3, 'Conv2d_0b_3x3')],
          [conv(96, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(128, 3, 'Conv2d_0b_3x3'),
           conv(128, 3, 'Conv2d_0c_3x3')],
          [avg_pool(3, 'AvgPool_0a_3x3'), conv(128, 1, 'Conv2d_0b_1x1', stddev=0.1)]),
    block('Mixed_4c',
          [conv(192, 1, 'Conv2d_0a_1x1')],
          [conv(96, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(128, 3, 'Conv2d_0b_3x3')],
          [conv(96, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(128, 3, 'Conv2d_0b_3x3'),
           conv(128, 3, 'Conv2d_0c_3x3')],
          [avg_pool(3, 'AvgPool_0a_3x3'), conv(128, 1, 'Conv2d_0b_1x1', stddev=0.1)]),
    block('Mixed_4d',
          [conv(160, 1, 'Conv2d_0a_1x1')],
          [conv(128, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(160, 3, 'Conv2d_0b_3x3')],
          [conv(128, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(160, 3, 'Conv2d_0b_3x3'),
           conv(160, 3, 'Conv2d_0c_3x3')],
          [avg_pool(3, 'AvgPool_0a_3x3'), conv(96, 1, 'Conv2d_0b_1x1', stddev=0.1)]),
    block('Mixed_4e',
          [conv(96, 1, 'Conv2d_0a_1x1')],
          [conv(128, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(192, 3, 'Conv2d_0b_3x3')],
          [conv(160, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(192, 3, 'Conv2d_0b_3x3'),
           conv(192, 3, 'Conv2d_0c_3x3')],
          [avg_pool(3, 'AvgPool_0a_3x3'), conv(96, 1, 'Conv2d_0b_1x1', stddev=0.1)]),
    block('Mixed_5a',
          [conv(128, 1, 'Conv2d_0a_1x1', stddev=0.09),
           conv(192, 3, 'Conv2d_1a_3x3', stride=2)],
          [conv(192, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(256, 3, 'Conv2d_0b_3x3'),
           conv(256, 3, 'Conv2d_1a_3x3', stride=2)],
          [max_pool(3, 'MaxPool_1a_3x3', stride=2)]),
    block('Mixed_5b',
          [conv(352, 1, 'Conv2d_0a_1x1')],
          [conv(192, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(320, 3, 'Conv2d_0b_3x3')],
          [conv(160, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(224, 3, 'Conv2d_0b_3x3'),
           conv(224, 3, 'Conv2d_0c_3x3')],
          [avg_pool(3, 'AvgPool_0a_3x3'), conv(128, 1, 'Conv2d_0b_1x1', stddev=0.1)]),
    block('Mixed_5c',
          [conv(352, 1, 'Conv2d_0a_1x1')],
          [conv(192, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(320, 3, 'Conv2d_0b_3x3')],
          [conv(192, 1, 'Conv2d_0a_1x1', stddev=0.09), conv(224, 3, 'Conv2d_0b_3x3'),
           conv(224, 3, 'Conv2d_0c_3x3')],
          [max_pool(3, 'MaxPool_0a_3x3'), conv(128, 1, 'Conv2d_0b_1x1', stddev=0.1)]),
)


def _root(use_separable_conv, depth):
  """The layers before Mixed_3b."""
  if use_separable_conv:
    # The depthwise step makes min(depth(64) / 3, 8) channels per input channel
    # (TF-Slim's rule, so the separable layer has fewer weights than a conv).
    first = separable_conv(64, 7, 'Conv2d_1a_7x7', stride=2, padding='SAME', stddev=1.0,
                           depth_multiplier=min(int(depth(64) / 3), 8))
  else:
    first = conv(64, 7, 'Conv2d_1a_7x7', stride=2, stddev=1.0)
  return (first,) + _ROOT


def inception_v2_base(inputs,
                      final_endpoint='Mixed_5c',
                      min_depth=16,
                      depth_multiplier=1.0,
                      use_separable_conv=True,
                      data_format='NHWC',
                      include_root_block=True,
                      scope=None):
  """Inception v2 from the inputs up to `final_endpoint`.

  Args:
    inputs: a tensor of shape [batch_size, height, width, channels] (or
      [batch_size, channels, height, width] with data_format 'NCHW').
    final_endpoint: the end point to build up to: 'Conv2d_1a_7x7',
      'MaxPool_2a_3x3', 'Conv2d_2b_1x1', 'Conv2d_2c_3x3', 'MaxPool_3a_3x3',
      'Mixed_3b', 'Mixed_3c', 'Mixed_4a', 'Mixed_4b', 'Mixed_4c', 'Mixed_4d',
      'Mixed_4e', 'Mixed_5a', 'Mixed_5b' or 'Mixed_5c'; the first five only
      with include_root_block.
    min_depth: the fewest channels of any convolution (with a
      depth_multiplier < 1).
    depth_multiplier: scales the channels of every convolution.
    use_separable_conv: a separable convolution for Conv2d_1a_7x7 (as in the
      official checkpoint), else a plain one.
    data_format: 'NHWC' or 'NCHW' (NCHW needs use_separable_conv=False).
    include_root_block: build the layers before Mixed_3b; without them
      `inputs` feed Mixed_3b directly.
    scope: optional variable_scope.

  Returns:
    `(net, end_points)`: the output of `final_endpoint` and a dict of every
    end point built.

  Raises:
    ValueError: an unknown final_endpoint or data_format, a
      depth_multiplier <= 0, or NCHW with a separable convolution.
  """
  depth = depth_fn(min_depth, depth_multiplier)
  if data_format not in ('NHWC', 'NCHW'):
    raise ValueError('data_format must be either NHWC or NCHW, not %r.' % (data_format,))
  if data_format == 'NCHW' and use_separable_conv:
    raise ValueError('separable convolutions need data_format NHWC; use '
                     'use_separable_conv=False with NCHW.')
  table = (_root(use_separable_conv, depth) if include_root_block else ()) + _MIXED_BLOCKS
  with tf.compat.v1.variable_scope(scope, 'InceptionV2', [inputs]):
    with scopes.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d,
                           slim.separable_conv2d],
                          stride=1, padding='SAME', data_format=data_format):
      return build_base(inputs, table, final_endpoint, depth,
                        concat_axis=3 if data_format == 'NHWC' else 1)


@registry.register(arg_scope=inception_utils.inception_arg_scope, num_classes=1001,
                   preprocessing='inception', logits_scopes=('InceptionV2/Logits',),
                   checkpoint='inception_v2_2016_08_28.tar.gz',
                   published_top1=73.9, published_top5=91.8, default_image_size=224)
def inception_v2(inputs,
                 num_classes=1000,
                 is_training=True,
                 dropout_keep_prob=0.8,
                 min_depth=16,
                 depth_multiplier=1.0,
                 prediction_fn=slim.softmax,
                 spatial_squeeze=True,
                 reuse=None,
                 scope='InceptionV2',
                 global_pool=False):
  """Inception v2 classifier; trained at 224x224.

  Args:
    inputs: a tensor of size [batch_size, height, width, channels].
    num_classes: number of classes; 0 or None returns the pooled features
      before dropout instead of logits.
    is_training: training mode of batch norm and dropout.
    dropout_keep_prob: fraction of activations kept by dropout.
    min_depth: the fewest channels of any convolution.
    depth_multiplier: scales the channels of every convolution.
    prediction_fn: maps the logits to the 'Predictions' end point.
    spatial_squeeze: squeeze the logits from [B, 1, 1, C] to [B, C].
    reuse: reuse the variables of an earlier call in `scope`.
    scope: optional variable_scope.
    global_pool: average over the whole feature map; else a 7x7 pooling
      (smaller for small inputs), which gives larger outputs for larger inputs.

  Returns:
    `(logits, end_points)`; the features instead of logits when num_classes
    is 0 or None.

  Raises:
    ValueError: depth_multiplier <= 0.
  """
  depth_fn(min_depth, depth_multiplier)  # checks depth_multiplier before building
  with tf.compat.v1.variable_scope(scope, 'InceptionV2', [inputs], reuse=reuse) as scope:
    with scopes.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = inception_v2_base(
          inputs, scope=scope, min_depth=min_depth, depth_multiplier=depth_multiplier)
      logits = pooled_classifier(net, end_points, num_classes, [7, 7], dropout_keep_prob,
                                 spatial_squeeze, global_pool, 'global_pool', prediction_fn)
  return logits, end_points



inception_v2_arg_scope = inception_utils.inception_arg_scope
