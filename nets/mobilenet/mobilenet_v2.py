"""MobileNet v2 (Sandler et al., 2018) as a conv-defs table, with TF-Slim's API and names.

    from nets.mobilenet import mobilenet_v2
    with slim.arg_scope(mobilenet_v2.training_scope(is_training=False)):
      logits, end_points = mobilenet_v2.mobilenet(images)

Registered: mobilenet_v2, mobilenet_v2_140 (depth 1.4), mobilenet_v2_035
(depth 0.35, its last layer kept at 1280: `finegrain_classification_mode`).
"""

import copy
import functools

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import registry
from nets.mobilenet import conv_blocks as ops
from nets.mobilenet import mobilenet as lib
from nets.mobilenet.mobilenet import op

expand_input = ops.expand_input_by_factor

# Inverted-residual blocks as (expansion stride, output depth); expansion 6 but the first.
_BLOCKS = [(2, 24), (1, 24), (2, 32), (1, 32), (1, 32), (2, 64), (1, 64), (1, 64), (1, 64),
           (1, 96), (1, 96), (1, 96), (2, 160), (1, 160), (1, 160), (1, 320)]

V2_DEF = dict(
    defaults={
        # Batch norm's center and scale shape the variables, so they are part of the table.
        (slim.batch_norm,): {'center': True, 'scale': True},
        (slim.conv2d, slim.fully_connected, slim.separable_conv2d): {
            'normalizer_fn': slim.batch_norm, 'activation_fn': tf.nn.relu6},
        (ops.expanded_conv,): {'expansion_size': expand_input(6),
                               'normalizer_fn': slim.batch_norm, 'residual': True},
        (slim.conv2d, slim.separable_conv2d): {'padding': 'SAME'},
    },
    spec=[op(slim.conv2d, stride=2, num_outputs=32, kernel_size=[3, 3]),
          op(ops.expanded_conv, expansion_size=expand_input(1, divisible_by=1), num_outputs=16)]
    + [op(ops.expanded_conv, stride=stride, num_outputs=depth) for stride, depth in _BLOCKS]
    + [op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=1280)],
)


@scopes.add_arg_scope
def mobilenet(input_tensor, num_classes=1001, depth_multiplier=1.0, scope='MobilenetV2',
              conv_defs=None, finegrain_classification_mode=False, min_depth=None,
              divisible_by=None, activation_fn=None, **kwargs):
  """MobileNet v2 classifier.

  Args:
    input_tensor: [batch, height, width, 3].
    num_classes: classes of the logits; 0 or None returns the pooled features.
    depth_multiplier: scales every layer's depth.
    scope: variable scope.
    conv_defs: the table; default `V2_DEF`.
    finegrain_classification_mode: keep the last layer's 1280 channels when
      `depth_multiplier` < 1.
    min_depth, divisible_by: of the depth rounding.
    activation_fn: replaces ReLU6 everywhere.
    **kwargs: for `mobilenet.mobilenet` (is_training, reuse, base_only, ...).

  Returns:
    (logits, end_points).
  """
  conv_defs = conv_defs or V2_DEF
  if 'multiplier' in kwargs:
    raise ValueError('mobilenet_v2 takes depth_multiplier, not multiplier')
  if finegrain_classification_mode and depth_multiplier < 1:
    conv_defs = copy.deepcopy(conv_defs)
    conv_defs['spec'][-1].params['num_outputs'] /= depth_multiplier
  if activation_fn:
    conv_defs = copy.deepcopy(conv_defs)
    conv_defs['defaults'][(slim.conv2d, slim.fully_connected, slim.separable_conv2d)][
        'activation_fn'] = activation_fn
  depth_args = {}
  if min_depth is not None:
    depth_args['min_depth'] = min_depth
  if divisible_by is not None:
    depth_args['divisible_by'] = divisible_by
  with scopes.arg_scope([lib.depth_multiplier], **depth_args):
    return lib.mobilenet(input_tensor, num_classes=num_classes, conv_defs=conv_defs, scope=scope,
                         multiplier=depth_multiplier, **kwargs)


def mobilenet_base(input_tensor, depth_multiplier=1.0, **kwargs):
  """MobileNet v2 without its classifier."""
  return mobilenet(input_tensor, depth_multiplier=depth_multiplier, base_only=True, **kwargs)


def training_scope(is_training=True, weight_decay=0.00004, stddev=0.09, dropout_keep_prob=0.8,
                   bn_decay=0.997):
  """`mobilenet.training_scope`, its parameters named (the registry checks them)."""
  return lib.training_scope(is_training=is_training, weight_decay=weight_decay, stddev=stddev,
                            dropout_keep_prob=dropout_keep_prob, bn_decay=bn_decay)


# Published accuracy: TF-Slim's README for 1.0 and 1.4, nets/mobilenet/README.md for 0.35.
VARIANTS = registry.register_variants(mobilenet, {
    'mobilenet_v2': dict(checkpoint='mobilenet_v2_1.0_224.tgz',
                         published_top1=71.9, published_top5=91.0),
    'mobilenet_v2_140': dict(args={'depth_multiplier': 1.4}, checkpoint='mobilenet_v2_1.4_224.tgz',
                             published_top1=74.9, published_top5=92.5),
    'mobilenet_v2_035': dict(args={'depth_multiplier': 0.35, 'finegrain_classification_mode': True},
                             checkpoint='mobilenet_v2_0.35_224.tgz',
                             published_top1=60.3, published_top5=82.9),
}, arg_scope=training_scope, num_classes=1001, preprocessing='inception',
   logits_scopes=('MobilenetV2/Logits',), default_image_size=224)
mobilenet_v2_140 = VARIANTS['mobilenet_v2_140']
mobilenet_v2_035 = VARIANTS['mobilenet_v2_035']
# TF-Slim's 0.5 variant (no official checkpoint, so not registered).
mobilenet_v2_050 = functools.partial(mobilenet, depth_multiplier=0.50,
                                     finegrain_classification_mode=True)
