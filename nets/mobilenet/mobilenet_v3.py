"""MobileNet v3 (Howard et al., 2019) and MobileNet-EdgeTPU as conv-defs tables,
with TF-Slim's API and names.

Each block is a row: `mbv3_op(ef, n, k, s, act, se)` is an expanded convolution
with expansion factor `ef`, `n` outputs, a `k`x`k` depthwise convolution of
stride `s`, activation `act` and optional squeeze-excite; `mbv3_fused` (EdgeTPU)
expands with a full `k`x`k` convolution instead of a depthwise one. The tables
end in a 1x1 convolution, a pooling to 1x1 and a 1x1 convolution without batch
norm before the classifier.

Registered: mobilenet_v3_large, mobilenet_v3_small and their minimalistic
forms (ReLU, 3x3 kernels, no squeeze-excite), mobilenet_edgetpu and
mobilenet_edgetpu_075.
"""

import copy
import functools

import numpy as np
import tensorflow as tf
import tf_slim as slim

import scopes
from nets import registry
from nets.mobilenet import conv_blocks as ops
from nets.mobilenet import mobilenet as lib
from nets.mobilenet.mobilenet import op

expand_input = ops.expand_input_by_factor


def hard_swish(x):
  with tf.name_scope('hard_swish'):
    return x * tf.nn.relu6(x + np.float32(3)) * np.float32(1.0 / 6.0)


def hard_sigmoid(x, name='hard_sigmoid'):
  with tf.name_scope(name):
    return tf.nn.relu6(x + 3.0) * 0.16667


squeeze_excite = functools.partial(ops.squeeze_excite, squeeze_factor=4,
                                   inner_activation_fn=tf.nn.relu, gating_fn=hard_sigmoid)


def _se4(expansion_tensor, input_tensor):
  del input_tensor
  return squeeze_excite(expansion_tensor)


@scopes.add_arg_scope
def reduce_to_1x1(input_tensor, default_size=7, **kwargs):
  """An average pooling of the whole (square) map, `default_size` when unknown."""
  height, width = input_tensor.shape.as_list()[1:3]
  size = height if height is not None and width == height else default_size
  return slim.avg_pool2d(input_tensor, kernel_size=[size, size], **kwargs)


def mbv3_op(ef, n, k, s=1, act=tf.nn.relu, se=None, **kwargs):
  return op(ops.expanded_conv, expansion_size=expand_input(ef), kernel_size=(k, k), stride=s,
            num_outputs=n, inner_activation_fn=act, expansion_transform=se, **kwargs)


def mbv3_op_se(ef, n, k, s=1, act=tf.nn.relu, **kwargs):
  return mbv3_op(ef, n, k, s, act, se=_se4, **kwargs)


def mbv3_fused(ef, n, k, s=1, **kwargs):
  return op(ops.expanded_conv, expansion_size=expand_input(ef), kernel_size=(k, k), stride=s,
            num_outputs=n, depthwise_location=None, **kwargs)


DEFAULTS = {
    (ops.expanded_conv,): dict(normalizer_fn=slim.batch_norm, residual=True),
    (slim.conv2d, slim.fully_connected, slim.separable_conv2d): {
        'normalizer_fn': slim.batch_norm, 'activation_fn': tf.nn.relu},
    (slim.batch_norm,): {'center': True, 'scale': True},
}


def _head(last_depth, head_depth, act):
  return [op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=last_depth,
             activation_fn=act),
          op(reduce_to_1x1, default_size=7, stride=1, padding='VALID'),
          op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=head_depth,
             normalizer_fn=None, activation_fn=act)]


_hs = hard_swish
V3_LARGE = dict(defaults=dict(DEFAULTS), spec=[
    op(slim.conv2d, stride=2, num_outputs=16, kernel_size=(3, 3), activation_fn=_hs),
    mbv3_op(ef=1, n=16, k=3),
    mbv3_op(ef=4, n=24, k=3, s=2),
    mbv3_op(ef=3, n=24, k=3, s=1),
    mbv3_op_se(ef=3, n=40, k=5, s=2),
    mbv3_op_se(ef=3, n=40, k=5, s=1),
    mbv3_op_se(ef=3, n=40, k=5, s=1),
    mbv3_op(ef=6, n=80, k=3, s=2, act=_hs),
    mbv3_op(ef=2.5, n=80, k=3, s=1, act=_hs),
    mbv3_op(ef=184 / 80., n=80, k=3, s=1, act=_hs),
    mbv3_op(ef=184 / 80., n=80, k=3, s=1, act=_hs),
    mbv3_op_se(ef=6, n=112, k=3, s=1, act=_hs),
    mbv3_op_se(ef=6, n=112, k=3, s=1, act=_hs),
    mbv3_op_se(ef=6, n=160, k=5, s=2, act=_hs),
    mbv3_op_se(ef=6, n=160, k=5, s=1, act=_hs),
    mbv3_op_se(ef=6, n=160, k=5, s=1, act=_hs),
] + _head(960, 1280, _hs))

V3_SMALL = dict(defaults=dict(DEFAULTS), spec=[
    op(slim.conv2d, stride=2, num_outputs=16, kernel_size=(3, 3), activation_fn=_hs),
    mbv3_op_se(ef=1, n=16, k=3, s=2),
    mbv3_op(ef=72. / 16, n=24, k=3, s=2),
    mbv3_op(ef=88. / 24, n=24, k=3, s=1),
    mbv3_op_se(ef=4, n=40, k=5, s=2, act=_hs),
    mbv3_op_se(ef=6, n=40, k=5, s=1, act=_hs),
    mbv3_op_se(ef=6, n=40, k=5, s=1, act=_hs),
    mbv3_op_se(ef=3, n=48, k=5, s=1, act=_hs),
    mbv3_op_se(ef=3, n=48, k=5, s=1, act=_hs),
    mbv3_op_se(ef=6, n=96, k=5, s=2, act=_hs),
    mbv3_op_se(ef=6, n=96, k=5, s=1, act=_hs),
    mbv3_op_se(ef=6, n=96, k=5, s=1, act=_hs),
] + _head(576, 1024, _hs))


def minimalistic(conv_defs):
  """The minimalistic form of a table: ReLU everywhere, 3x3 kernels, no
  squeeze-excite (the same variables but those of squeeze-excite)."""
  spec = []
  for row in conv_defs['spec']:
    params = dict(row.params)
    if row.op is ops.expanded_conv:
      params.update(kernel_size=(3, 3), inner_activation_fn=tf.nn.relu, expansion_transform=None)
    elif 'activation_fn' in params:
      params['activation_fn'] = tf.nn.relu
    spec.append(row._replace(params=params))
  return dict(defaults=dict(conv_defs['defaults']), spec=spec)


V3_LARGE_MINIMALISTIC = minimalistic(V3_LARGE)
V3_SMALL_MINIMALISTIC = minimalistic(V3_SMALL)

V3_EDGETPU = dict(defaults=dict(DEFAULTS), spec=[
    op(slim.conv2d, stride=2, num_outputs=32, kernel_size=(3, 3)),
    mbv3_fused(k=3, s=1, ef=1, n=16),
    mbv3_fused(k=3, s=2, ef=8, n=32),
    mbv3_fused(k=3, s=1, ef=4, n=32),
    mbv3_fused(k=3, s=1, ef=4, n=32),
    mbv3_fused(k=3, s=1, ef=4, n=32),
    mbv3_fused(k=3, s=2, ef=8, n=48),
    mbv3_fused(k=3, s=1, ef=4, n=48),
    mbv3_fused(k=3, s=1, ef=4, n=48),
    mbv3_fused(k=3, s=1, ef=4, n=48),
    mbv3_op(k=3, s=2, ef=8, n=96),
    mbv3_op(k=3, s=1, ef=4, n=96),
    mbv3_op(k=3, s=1, ef=4, n=96),
    mbv3_op(k=3, s=1, ef=4, n=96),
    mbv3_op(k=3, s=1, ef=8, n=96, residual=False),
    mbv3_op(k=3, s=1, ef=4, n=96),
    mbv3_op(k=3, s=1, ef=4, n=96),
    mbv3_op(k=3, s=1, ef=4, n=96),
    mbv3_op(k=5, s=2, ef=8, n=160),
    mbv3_op(k=5, s=1, ef=4, n=160),
    mbv3_op(k=5, s=1, ef=4, n=160),
    mbv3_op(k=5, s=1, ef=4, n=160),
    mbv3_op(k=3, s=1, ef=8, n=192),
    op(slim.conv2d, stride=1, num_outputs=1280, kernel_size=(1, 1)),
])


def _keep_depth(params, multiplier):
  del params, multiplier


@scopes.add_arg_scope
def mobilenet(input_tensor, num_classes=1001, depth_multiplier=1.0, scope='MobilenetV3',
              conv_defs=None, finegrain_classification_mode=False, use_groupnorm=False,
              **kwargs):
  """MobileNet v3 (or EdgeTPU) classifier.

  Args:
    input_tensor: [batch, height, width, 3].
    num_classes: classes of the logits; 0 or None returns the pooled features.
    depth_multiplier: scales every layer's depth.
    scope: variable scope.
    conv_defs: the table; default `V3_LARGE`.
    finegrain_classification_mode: keep the last layer's depth whatever the
      multiplier.
    use_groupnorm: group norm instead of batch norm (variables
      `.../GroupNorm/beta` and `gamma`, 8 groups).
    **kwargs: for `mobilenet.mobilenet` (is_training, reuse, base_only, ...).

  Returns:
    (logits, end_points).
  """
  conv_defs = conv_defs or V3_LARGE
  if 'multiplier' in kwargs:
    raise ValueError('mobilenet_v3 takes depth_multiplier, not multiplier')
  if finegrain_classification_mode:
    conv_defs = copy.deepcopy(conv_defs)
    conv_defs['spec'][-1] = conv_defs['spec'][-1]._replace(multiplier_func=_keep_depth)
  return lib.mobilenet(input_tensor, num_classes=num_classes, conv_defs=conv_defs, scope=scope,
                       multiplier=depth_multiplier, use_groupnorm=use_groupnorm, **kwargs)


# TF-Slim's attribute of the family function (its variants are registered below).
mobilenet.default_image_size = 224


def training_scope(is_training=True, weight_decay=0.00004, stddev=0.09, dropout_keep_prob=0.8,
                   bn_decay=0.997):
  """`mobilenet.training_scope` (the same for v3)."""
  return lib.training_scope(is_training=is_training, weight_decay=weight_decay, stddev=stddev,
                            dropout_keep_prob=dropout_keep_prob, bn_decay=bn_decay)


# One function, its conv-defs table (and scope) fixed for each model. The float
# checkpoints and their top-1 (no top-5 published) from nets/mobilenet/README.md.
VARIANTS = registry.register_variants(mobilenet, {
    'mobilenet_v3_large': dict(args={'conv_defs': V3_LARGE},
                               checkpoint='v3-large_224_1.0_float.tgz', published_top1=75.2),
    'mobilenet_v3_small': dict(args={'conv_defs': V3_SMALL},
                               checkpoint='v3-small_224_1.0_float.tgz', published_top1=67.5),
    'mobilenet_v3_large_minimalistic': dict(
        args={'conv_defs': V3_LARGE_MINIMALISTIC},
        checkpoint='v3-large-minimalistic_224_1.0_float.tgz', published_top1=72.3),
    'mobilenet_v3_small_minimalistic': dict(
        args={'conv_defs': V3_SMALL_MINIMALISTIC},
        checkpoint='v3-small-minimalistic_224_1.0_float.tgz', published_top1=61.9),
    'mobilenet_edgetpu': dict(args={'conv_defs': V3_EDGETPU, 'scope': 'MobilenetEdgeTPU'},
                              logits_scopes=('MobilenetEdgeTPU/Logits',)),
    'mobilenet_edgetpu_075': dict(args={'conv_defs': V3_EDGETPU, 'scope': 'MobilenetEdgeTPU',
                                        'depth_multiplier': 0.75,
                                        'finegrain_classification_mode': True},
                                  logits_scopes=('MobilenetEdgeTPU/Logits',)),
}, arg_scope=training_scope, num_classes=1001, preprocessing='inception',
   logits_scopes=('MobilenetV3/Logits',), default_image_size=224)
large = VARIANTS['mobilenet_v3_large']
small = VARIANTS['mobilenet_v3_small']
large_minimalistic = VARIANTS['mobilenet_v3_large_minimalistic']
small_minimalistic = VARIANTS['mobilenet_v3_small_minimalistic']
edge_tpu = VARIANTS['mobilenet_edgetpu']
edge_tpu_075 = VARIANTS['mobilenet_edgetpu_075']
