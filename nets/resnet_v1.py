"""ResNet v1: residual networks with post-activation bottleneck units.

He, Zhang, Ren, Sun: "Deep Residual Learning for Image Recognition" (2015),
with the stride on the 3x3 conv of the last unit of each block (as in the
TF-Slim checkpoints converted from Caffe), and atrous convolution for dense
features (`output_stride`), as in DeepLab.

    with slim.arg_scope(resnet_v1.resnet_arg_scope()):
      net, end_points = resnet_v1.resnet_v1_101(images, 1000, is_training=False)

`resnet_v1_50/101/152/200` are built from the depth tables of
`resnet_utils`; `resnet_v1` takes any list of `Block`s.
"""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import registry
from nets import resnet_utils

resnet_arg_scope = resnet_utils.resnet_arg_scope


@scopes.add_arg_scope
def bottleneck(inputs, depth, depth_bottleneck, stride, rate=1, outputs_collections=None,
               scope=None, use_bounded_activations=False):
  """A bottleneck unit: 1x1 -> 3x3 (strided, atrous) -> 1x1, each conv then
  batch norm, plus the shortcut, then ReLU.

  Args:
    inputs: a `[batch, height, width, channels]` tensor.
    depth: the output depth.
    depth_bottleneck: the depth of the first two convs.
    stride: the unit's stride (on the 3x3 conv and the shortcut).
    rate: the atrous rate of the 3x3 conv.
    outputs_collections: collection to add the unit's output to.
    scope: the variable scope (default 'bottleneck_v1').
    use_bounded_activations: ReLU6 and clip the residual to [-6, 6], for
      quantized inference.

  Returns:
    The unit's output.
  """
  with tf.compat.v1.variable_scope(scope, 'bottleneck_v1', [inputs]) as sc:
    depth_in = slim.utils.last_dimension(inputs.get_shape(), min_rank=4)
    if depth == depth_in:
      shortcut = resnet_utils.subsample(inputs, stride, 'shortcut')
    else:
      shortcut = slim.conv2d(
          inputs, depth, [1, 1], stride=stride,
          activation_fn=tf.nn.relu6 if use_bounded_activations else None, scope='shortcut')
    residual = slim.conv2d(inputs, depth_bottleneck, [1, 1], stride=1, scope='conv1')
    residual = resnet_utils.conv2d_same(residual, depth_bottleneck, 3, stride, rate=rate,
                                        scope='conv2')
    residual = slim.conv2d(residual, depth, [1, 1], stride=1, activation_fn=None,
                           scope='conv3')
    if use_bounded_activations:
      # Bounded inputs to the sum keep the quantization range small.
      residual = tf.clip_by_value(residual, -6.0, 6.0)
      output = scopes.merges.add(shortcut, residual, activation_fn=tf.nn.relu6)
    else:
      output = scopes.merges.add(shortcut, residual, activation_fn=tf.nn.relu)
    return slim.utils.collect_named_outputs(outputs_collections, sc.name, output)


def resnet_v1(inputs, blocks, num_classes=None, is_training=True, global_pool=True,
              output_stride=None, include_root_block=True, spatial_squeeze=True,
              store_non_strided_activations=False, reuse=None, scope=None):
  """A ResNet v1 of any `blocks`: root block, the blocks, pooling, logits.

  Args:
    inputs: a `[batch, height, width, channels]` tensor. Any size works
      (fully convolutional); (multiples of 32) + 1 align the features with
      the input corners.
    blocks: a list of `resnet_utils.Block`s.
    num_classes: classes of the logits; 0 or None returns the features of
      the last block (pooled when `global_pool`).
    is_training: batch-norm mode; None leaves it to the enclosing arg_scope.
    global_pool: average the last block's features over height and width;
      False keeps them for dense prediction.
    output_stride: None, or the ratio of input to output resolution (a
      multiple of 4 with the root block): later units turn atrous instead.
    include_root_block: start with the 7x7 conv and the max pool.
    spatial_squeeze: squeeze the logits to `[batch, num_classes]`; needs 1 x 1
      logits (global pooling or a matching input size).
    store_non_strided_activations: block end points before each block's
      final subsampling (see `resnet_utils.stack_blocks_dense`).
    reuse: reuse the variables of the scope.
    scope: the variable scope (default 'resnet_v1').

  Returns:
    logits: `[batch, num_classes]` (or `[batch, 1, 1, num_classes]`, or the
      features without classes).
    end_points: dict of the layers' outputs, TF-Slim's keys.

  Raises:
    ValueError: if `output_stride` cannot be reached.
  """
  with tf.compat.v1.variable_scope(scope, 'resnet_v1', [inputs], reuse=reuse) as sc:
    with (resnet_utils.end_points_collection(sc) as collection,
          scopes.arg_scope([slim.conv2d, bottleneck, resnet_utils.stack_blocks_dense],
                           outputs_collections=collection),
          resnet_utils.training_scope(is_training)):
      net = inputs
      if include_root_block:
        output_stride = resnet_utils.root_output_stride(output_stride)
        net = resnet_utils.root_block(net)
      net = resnet_utils.stack_blocks_dense(net, blocks, output_stride,
                                            store_non_strided_activations)
      end_points = slim.utils.convert_collection_to_dict(collection)
      net = resnet_utils.classifier(net, end_points, num_classes, global_pool,
                                    spatial_squeeze, sc.name)
      return net, end_points


resnet_v1.default_image_size = 224


def resnet_v1_block(scope, base_depth, num_units, stride):
  """A block of `num_units` bottleneck units of output depth `4 * base_depth`,
  the last one with `stride`.

  Returns:
    A `resnet_utils.Block`.
  """
  return resnet_utils.Block(scope, bottleneck,
                            resnet_utils.bottleneck_units(base_depth, num_units, stride))


def resnet_v1_standard(inputs, num_classes=None, is_training=True, global_pool=True,
                       output_stride=None, spatial_squeeze=True,
                       store_non_strided_activations=False, min_base_depth=8,
                       depth_multiplier=1, reuse=None, scope=None, *, num_layers):
  """The ImageNet ResNet v1 of `num_layers` (50, 101, 152, 200: units per
  block in `resnet_utils.UNITS_PER_BLOCK`); see `resnet_v1`.

  `depth_multiplier` scales each block's depth, which stays at least
  `min_base_depth` (x4 at the block output).
  """
  blocks = resnet_utils.standard_blocks(
      resnet_v1_block, num_layers,
      depth_fn=lambda depth: max(int(depth * depth_multiplier), min_base_depth))
  return resnet_v1(inputs, blocks, num_classes, is_training, global_pool=global_pool,
                   output_stride=output_stride, include_root_block=True,
                   spatial_squeeze=spatial_squeeze,
                   store_non_strided_activations=store_non_strided_activations,
                   reuse=reuse, scope=scope)


# resnet_v1_50 ... resnet_v1_200: the depth and TF-Slim's scope name fixed. The
# official checkpoints were converted from Caffe: 1000 classes, no background.
VARIANTS = registry.register_variants(resnet_v1_standard, {
    'resnet_v1_50': dict(args={'num_layers': 50, 'scope': 'resnet_v1_50'},
                         checkpoint='resnet_v1_50_2016_08_28.tar.gz',
                         published_top1=75.2, published_top5=92.2),
    'resnet_v1_101': dict(args={'num_layers': 101, 'scope': 'resnet_v1_101'},
                          checkpoint='resnet_v1_101_2016_08_28.tar.gz',
                          published_top1=76.4, published_top5=92.9),
    'resnet_v1_152': dict(args={'num_layers': 152, 'scope': 'resnet_v1_152'},
                          checkpoint='resnet_v1_152_2016_08_28.tar.gz',
                          published_top1=76.8, published_top5=93.2),
    'resnet_v1_200': dict(args={'num_layers': 200, 'scope': 'resnet_v1_200'}),
}, arg_scope=resnet_arg_scope, num_classes=1000, preprocessing='vgg',
   logits_scopes=('{name}/logits',), default_image_size=224)
resnet_v1_50 = VARIANTS['resnet_v1_50']
resnet_v1_101 = VARIANTS['resnet_v1_101']
resnet_v1_152 = VARIANTS['resnet_v1_152']
resnet_v1_200 = VARIANTS['resnet_v1_200']
