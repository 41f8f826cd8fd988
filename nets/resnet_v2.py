"""ResNet v2: residual networks with pre-activation bottleneck units.

He, Zhang, Ren, Sun: "Identity Mappings in Deep Residual Networks" (2016).
Each unit starts with batch norm + ReLU ('preact') and ends in a plain sum,
so the identity path carries no nonlinearity; one batch norm + ReLU
('postnorm') follows the last block. The stride sits on the last unit of each
block, and `output_stride` gives dense (atrous) features, as in ResNet v1.

    with slim.arg_scope(resnet_v2.resnet_arg_scope()):
      net, end_points = resnet_v2.resnet_v2_50(images, 1001, is_training=False)

`resnet_v2_50/101/152/200` are built from the depth tables of
`resnet_utils`; `resnet_v2` takes any list of `Block`s.
"""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import registry
from nets import resnet_utils

resnet_arg_scope = resnet_utils.resnet_arg_scope


@scopes.add_arg_scope
def bottleneck(inputs, depth, depth_bottleneck, stride, rate=1, outputs_collections=None,
               scope=None):
  """A pre-activation bottleneck unit: batch norm + ReLU, then 1x1 -> 3x3
  (strided, atrous) -> 1x1, plus the shortcut.

  Args:
    inputs: a `[batch, height, width, channels]` tensor.
    depth: the output depth.
    depth_bottleneck: the depth of the first two convs.
    stride: the unit's stride (on the 3x3 conv and the shortcut).
    rate: the atrous rate of the 3x3 conv.
    outputs_collections: collection to add the unit's output to.
    scope: the variable scope (default 'bottleneck_v2').

  Returns:
    The unit's output.
  """
  with tf.compat.v1.variable_scope(scope, 'bottleneck_v2', [inputs]) as sc:
    depth_in = slim.utils.last_dimension(inputs.get_shape(), min_rank=4)
    preact = slim.batch_norm(inputs, activation_fn=tf.nn.relu, scope='preact')
    if depth == depth_in:
      shortcut = resnet_utils.subsample(inputs, stride, 'shortcut')
    else:
      # A projection shortcut sees the normalized input, like the residual.
      shortcut = slim.conv2d(preact, depth, [1, 1], stride=stride, normalizer_fn=None,
                             activation_fn=None, scope='shortcut')
    residual = slim.conv2d(preact, depth_bottleneck, [1, 1], stride=1, scope='conv1')
    residual = resnet_utils.conv2d_same(residual, depth_bottleneck, 3, stride, rate=rate,
                                        scope='conv2')
    residual = slim.conv2d(residual, depth, [1, 1], stride=1, normalizer_fn=None,
                           activation_fn=None, scope='conv3')
    output = shortcut + residual
    return slim.utils.collect_named_outputs(outputs_collections, sc.name, output)


def resnet_v2(inputs, blocks, num_classes=None, is_training=True, global_pool=True,
              output_stride=None, include_root_block=True, spatial_squeeze=True,
              reuse=None, scope=None):
  """A ResNet v2 of any `blocks`: root conv, the blocks, postnorm, logits.

  Args:
    inputs: a `[batch, height, width, channels]` tensor. Any size works
      (fully convolutional); (multiples of 32) + 1 align the features with
      the input corners.
    blocks: a list of `resnet_utils.Block`s.
    num_classes: classes of the logits; 0 or None returns the features after
      'postnorm' (pooled when `global_pool`).
    is_training: batch-norm mode; None leaves it to the enclosing arg_scope.
    global_pool: average the last features over height and width; False
      keeps them for dense prediction.
    output_stride: None, or the ratio of input to output resolution (a
      multiple of 4 with the root block): later units turn atrous instead.
    include_root_block: start with the 7x7 conv and the max pool.
    spatial_squeeze: squeeze the logits to `[batch, num_classes]`; needs 1 x 1
      logits (global pooling or a matching input size).
    reuse: reuse the variables of the scope.
    scope: the variable scope (default 'resnet_v2').

  Returns:
    logits: `[batch, num_classes]` (or `[batch, 1, 1, num_classes]`, or the
      features without classes).
    end_points: dict of the layers' outputs, TF-Slim's keys.

  Raises:
    ValueError: if `output_stride` cannot be reached.
  """
  with tf.compat.v1.variable_scope(scope, 'resnet_v2', [inputs], reuse=reuse) as sc:
    with (resnet_utils.end_points_collection(sc) as collection,
          scopes.arg_scope([slim.conv2d, bottleneck, resnet_utils.stack_blocks_dense],
                           outputs_collections=collection),
          resnet_utils.training_scope(is_training)):
      net = inputs
      if include_root_block:
        output_stride = resnet_utils.root_output_stride(output_stride)
        # The first unit's 'preact' normalizes and activates conv1's output.
        with scopes.arg_scope([slim.conv2d], activation_fn=None, normalizer_fn=None):
          net = resnet_utils.root_block(net)
      net = resnet_utils.stack_blocks_dense(net, blocks, output_stride)
      # The units end in a plain sum: normalize and activate the last one.
      net = slim.batch_norm(net, activation_fn=tf.nn.relu, scope='postnorm')
      end_points = slim.utils.convert_collection_to_dict(collection)
      net = resnet_utils.classifier(net, end_points, num_classes, global_pool,
                                    spatial_squeeze, sc.name)
      return net, end_points


resnet_v2.default_image_size = 224


def resnet_v2_block(scope, base_depth, num_units, stride):
  """A block of `num_units` pre-activation bottleneck units of output depth
  `4 * base_depth`, the last one with `stride`.

  Returns:
    A `resnet_utils.Block`.
  """
  return resnet_utils.Block(scope, bottleneck,
                            resnet_utils.bottleneck_units(base_depth, num_units, stride))


def resnet_v2_standard(inputs, num_classes=None, is_training=True, global_pool=True,
                       output_stride=None, spatial_squeeze=True, reuse=None, scope=None, *,
                       num_layers):
  """The ImageNet ResNet v2 of `num_layers` (50, 101, 152, 200: units per
  block in `resnet_utils.UNITS_PER_BLOCK`); see `resnet_v2`."""
  blocks = resnet_utils.standard_blocks(resnet_v2_block, num_layers)
  return resnet_v2(inputs, blocks, num_classes, is_training, global_pool=global_pool,
                   output_stride=output_stride, include_root_block=True,
                   spatial_squeeze=spatial_squeeze, reuse=reuse, scope=scope)


# resnet_v2_50 ... resnet_v2_200: the depth and TF-Slim's scope name fixed. The
# official checkpoints were trained at Google: 1001 classes, 0 = background.
VARIANTS = registry.register_variants(resnet_v2_standard, {
    'resnet_v2_50': dict(args={'num_layers': 50, 'scope': 'resnet_v2_50'},
                         checkpoint='resnet_v2_50_2017_04_14.tar.gz',
                         published_top1=75.6, published_top5=92.8, published_image_size=299),
    'resnet_v2_101': dict(args={'num_layers': 101, 'scope': 'resnet_v2_101'},
                          checkpoint='resnet_v2_101_2017_04_14.tar.gz',
                          published_top1=77.0, published_top5=93.7, published_image_size=299),
    'resnet_v2_152': dict(args={'num_layers': 152, 'scope': 'resnet_v2_152'},
                          checkpoint='resnet_v2_152_2017_04_14.tar.gz',
                          published_top1=77.8, published_top5=94.1, published_image_size=299),
    'resnet_v2_200': dict(args={'num_layers': 200, 'scope': 'resnet_v2_200'}),
}, arg_scope=resnet_arg_scope, num_classes=1001, preprocessing='inception',
   logits_scopes=('{name}/logits',), default_image_size=224)
resnet_v2_50 = VARIANTS['resnet_v2_50']
resnet_v2_101 = VARIANTS['resnet_v2_101']
resnet_v2_152 = VARIANTS['resnet_v2_152']
resnet_v2_200 = VARIANTS['resnet_v2_200']
