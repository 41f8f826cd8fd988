"""Inception v4 (Szegedy et al. 2016, "Inception-v4, Inception-ResNet and the
Impact of Residual Connections"), with TF-Slim's API and checkpoint names.

The network is a table of `nets.inception_blocks` items: the stem layers and
mixed blocks in order, each recording its output as the end point of its
scope. The four-branch modules (Inception-A/B/C, Reduction-A/B) are tuples of
branches, shared by the table and by the `block_*` functions.
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
from nets.inception_blocks import fork
from nets.inception_blocks import max_pool
from nets.inception_heads import flat_classifier

VALID = 'VALID'  # layers without a padding take the SAME of the net's arg_scope

# 35x35x384 -> 35x35x384 (Figure 4).
INCEPTION_A = (
    [conv(96, 1, 'Conv2d_0a_1x1')],
    [conv(64, 1, 'Conv2d_0a_1x1'), conv(96, 3, 'Conv2d_0b_3x3')],
    [conv(64, 1, 'Conv2d_0a_1x1'), conv(96, 3, 'Conv2d_0b_3x3'), conv(96, 3, 'Conv2d_0c_3x3')],
    [avg_pool(3, 'AvgPool_0a_3x3'), conv(96, 1, 'Conv2d_0b_1x1')],
)
# 35x35x384 -> 17x17x1024 (Figure 7, k=192, l=224, m=256, n=384).
REDUCTION_A = (
    [conv(384, 3, 'Conv2d_1a_3x3', stride=2, padding=VALID)],
    [conv(192, 1, 'Conv2d_0a_1x1'), conv(224, 3, 'Conv2d_0b_3x3'),
     conv(256, 3, 'Conv2d_1a_3x3', stride=2, padding=VALID)],
    [max_pool(3, 'MaxPool_1a_3x3', stride=2, padding=VALID)],
)
# 17x17x1024 -> 17x17x1024 (Figure 5).
INCEPTION_B = (
    [conv(384, 1, 'Conv2d_0a_1x1')],
    [conv(192, 1, 'Conv2d_0a_1x1'), conv(224, [1, 7], 'Conv2d_0b_1x7'),
     conv(256, [7, 1], 'Conv2d_0c_7x1')],
    [conv(192, 1, 'Conv2d_0a_1x1'), conv(192, [7, 1], 'Conv2d_0b_7x1'),
     conv(224, [1, 7], 'Conv2d_0c_1x7'), conv(224, [7, 1], 'Conv2d_0d_7x1'),
     conv(256, [1, 7], 'Conv2d_0e_1x7')],
    [avg_pool(3, 'AvgPool_0a_3x3'), conv(128, 1, 'Conv2d_0b_1x1')],
)
# 17x17x1024 -> 8x8x1536 (Figure 8).
REDUCTION_B = (
    [conv(192, 1, 'Conv2d_0a_1x1'), conv(192, 3, 'Conv2d_1a_3x3', stride=2, padding=VALID)],
    [conv(256, 1, 'Conv2d_0a_1x1'), conv(256, [1, 7], 'Conv2d_0b_1x7'),
     conv(320, [7, 1], 'Conv2d_0c_7x1'), conv(320, 3, 'Conv2d_1a_3x3', stride=2, padding=VALID)],
    [max_pool(3, 'MaxPool_1a_3x3', stride=2, padding=VALID)],
)
# 8x8x1536 -> 8x8x1536 (Figure 6); the 1x3 / 3x1 pairs fork.
INCEPTION_C = (
    [conv(256, 1, 'Conv2d_0a_1x1')],
    [conv(384, 1, 'Conv2d_0a_1x1'),
     fork(conv(256, [1, 3], 'Conv2d_0b_1x3'), conv(256, [3, 1], 'Conv2d_0c_3x1'))],
    [conv(384, 1, 'Conv2d_0a_1x1'), conv(448, [3, 1], 'Conv2d_0b_3x1'),
     conv(512, [1, 3], 'Conv2d_0c_1x3'),
     fork(conv(256, [1, 3], 'Conv2d_0d_1x3'), conv(256, [3, 1], 'Conv2d_0e_3x1'))],
    [avg_pool(3, 'AvgPool_0a_3x3'), conv(256, 1, 'Conv2d_0b_1x1')],
)

# The whole base: the stem (Figure 3, 299x299x3 -> 35x35x384), then
# 4 x A, Reduction-A, 7 x B, Reduction-B, 3 x C.
INCEPTION_V4 = [
    conv(32, 3, 'Conv2d_1a_3x3', stride=2, padding=VALID),
    conv(32, 3, 'Conv2d_2a_3x3', padding=VALID),
    conv(64, 3, 'Conv2d_2b_3x3'),
    block('Mixed_3a',
          [max_pool(3, 'MaxPool_0a_3x3', stride=2, padding=VALID)],
          [conv(96, 3, 'Conv2d_0a_3x3', stride=2, padding=VALID)]),
    block('Mixed_4a',
          [conv(64, 1, 'Conv2d_0a_1x1'), conv(96, 3, 'Conv2d_1a_3x3', padding=VALID)],
          [conv(64, 1, 'Conv2d_0a_1x1'), conv(64, [1, 7], 'Conv2d_0b_1x7'),
           conv(64, [7, 1], 'Conv2d_0c_7x1'), conv(96, 3, 'Conv2d_1a_3x3', padding=VALID)]),
    block('Mixed_5a',
          [conv(192, 3, 'Conv2d_1a_3x3', stride=2, padding=VALID)],
          [max_pool(3, 'MaxPool_1a_3x3', stride=2, padding=VALID)]),
] + ([block('Mixed_5' + c, *INCEPTION_A) for c in 'bcde'] +
     [block('Mixed_6a', *REDUCTION_A)] +
     [block('Mixed_6' + c, *INCEPTION_B) for c in 'bcdefgh'] +
     [block('Mixed_7a', *REDUCTION_B)] +
     [block('Mixed_7' + c, *INCEPTION_C) for c in 'bcd'])

# Stride 1 and SAME padding for these, unless a table item says otherwise.
_SAME_PADDED_LAYERS = [slim.conv2d, slim.max_pool2d, slim.avg_pool2d]


def build_module(net, branches, scope, default_scope, reuse=None):
  """A mixed block of `branches` in `variable_scope(scope, default_scope)`:
  scope=None gives the default name, made unique, as in TF-Slim."""
  with tf.compat.v1.variable_scope(scope, default_scope, [net], reuse=reuse):
    with scopes.arg_scope(_SAME_PADDED_LAYERS, stride=1, padding='SAME'):
      return build(net, block(None, *branches))


def block_inception_a(inputs, scope=None, reuse=None):
  """Inception-A: 35x35x384 -> 35x35x384."""
  return build_module(inputs, INCEPTION_A, scope, 'BlockInceptionA', reuse)


def block_reduction_a(inputs, scope=None, reuse=None):
  """Reduction-A: 35x35x384 -> 17x17x1024."""
  return build_module(inputs, REDUCTION_A, scope, 'BlockReductionA', reuse)


def block_inception_b(inputs, scope=None, reuse=None):
  """Inception-B: 17x17x1024 -> 17x17x1024."""
  return build_module(inputs, INCEPTION_B, scope, 'BlockInceptionB', reuse)


def block_reduction_b(inputs, scope=None, reuse=None):
  """Reduction-B: 17x17x1024 -> 8x8x1536."""
  return build_module(inputs, REDUCTION_B, scope, 'BlockReductionB', reuse)


def block_inception_c(inputs, scope=None, reuse=None):
  """Inception-C: 8x8x1536 -> 8x8x1536."""
  return build_module(inputs, INCEPTION_C, scope, 'BlockInceptionC', reuse)


def inception_v4_base(inputs, final_endpoint='Mixed_7d', scope=None):
  """Inception v4 up to `final_endpoint`.

  Args:
    inputs: a [batch, height, width, 3] tensor.
    final_endpoint: the last end point to build: 'Conv2d_1a_3x3',
      'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'Mixed_3a', 'Mixed_4a', 'Mixed_5a',
      'Mixed_5b'..'Mixed_5e', 'Mixed_6a'..'Mixed_6h', 'Mixed_7a'..'Mixed_7d'.
    scope: optional variable scope.

  Returns:
    (the tensor of `final_endpoint`, dict of end points built so far).

  Raises:
    ValueError: if `final_endpoint` is not one of the above.
  """
  with tf.compat.v1.variable_scope(scope, 'InceptionV4', [inputs]):
    with scopes.arg_scope(_SAME_PADDED_LAYERS, stride=1, padding='SAME'):
      return build_base(inputs, INCEPTION_V4, final_endpoint)


@registry.register(arg_scope=inception_utils.inception_arg_scope, num_classes=1001,
                   preprocessing='inception', default_image_size=299,
                   logits_scopes=('InceptionV4/Logits', 'InceptionV4/AuxLogits'),
                   checkpoint='inception_v4_2016_09_09.tar.gz',
                   published_top1=80.2, published_top5=95.2)
def inception_v4(inputs, num_classes=1001, is_training=True,
                 dropout_keep_prob=0.8,
                 reuse=None,
                 scope='InceptionV4',
                 create_aux_logits=True):
  """Inception v4 classifier.

  Args:
    inputs: a [batch, height, width, 3] tensor; 299x299 for the checkpoint.
    num_classes: classes of the logits; 0 or None returns the globally pooled
      features instead (no dropout, no logits layer, no auxiliary head).
    is_training: batch norm and dropout in training mode.
    dropout_keep_prob: fraction of the pooled features kept in training.
    reuse: reuse the variables of a previous call.
    scope: variable scope.
    create_aux_logits: build the auxiliary classifier on Mixed_6h.

  Returns:
    (logits [batch, num_classes], or the pooled features when num_classes is
    0 or None; dict of end points).
  """
  with tf.compat.v1.variable_scope(scope, 'InceptionV4', [inputs], reuse=reuse) as scope:
    with scopes.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
      net, end_points = inception_v4_base(inputs, scope=scope)
      with scopes.arg_scope(_SAME_PADDED_LAYERS, stride=1, padding='SAME'):
        logits = flat_classifier(
            net, end_points, num_classes, dropout_keep_prob, 'AvgPool_1a',
            aux_net=end_points['Mixed_6h'] if create_aux_logits else None,
            aux_scopes=('AvgPool_1a_5x5', 'Conv2d_2a', 'Aux_logits'))
  return logits, end_points


inception_v4_arg_scope = inception_utils.inception_arg_scope
