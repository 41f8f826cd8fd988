"""What ResNet v1 and v2 share: blocks as data, atrous stacking, the arg_scope.

A ResNet is a root block (a strided 7x7 conv and a max pool), a list of
`Block`s, each a list of residual units, and a classifier. A `Block` is data:
its variable scope, the unit function, and one dict of unit arguments per
unit. `stack_blocks_dense` turns the list into layers; given an
`output_stride`, it stops striding once the features are that much smaller
than the input and dilates the later convolutions instead (atrous
convolution), so the same weights compute denser features.

    blocks = resnet_utils.standard_blocks(resnet_v1.resnet_v1_block, 50)
    with slim.arg_scope(resnet_utils.resnet_arg_scope()):
      net, end_points = resnet_v1.resnet_v1(images, blocks, output_stride=16)
"""

import collections
import contextlib

import tensorflow as tf
import tf_slim as slim

import scopes


class Block(collections.namedtuple('Block', ['scope', 'unit_fn', 'args'])):
  """A stage of residual units.

  Attributes:
    scope: the variable scope of the block, e.g. 'block1'.
    unit_fn: `unit_fn(net, rate=..., **args[i])` builds unit i + 1.
    args: one dict of keyword arguments per unit; each has a 'stride'.
  """


# The four stages of the ImageNet ResNets: (scope, base depth, stride). Each
# unit's output depth is 4 x its base depth; the stride is on the last unit.
STAGES = (('block1', 64, 2), ('block2', 128, 2), ('block3', 256, 2), ('block4', 512, 1))

# Units per stage for each published depth (He et al. 2015, 2016).
UNITS_PER_BLOCK = {
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
    200: (3, 24, 36, 3),
}


def standard_blocks(block_fn, num_layers, depth_fn=lambda depth: depth):
  """The four `Block`s of the `num_layers`-deep ImageNet ResNet.

  Args:
    block_fn: `resnet_v1_block` or `resnet_v2_block`.
    num_layers: a key of `UNITS_PER_BLOCK` (50, 101, 152, 200).
    depth_fn: maps each stage's base depth (a depth multiplier, ...).

  Returns:
    A list of `Block`s.
  """
  units = UNITS_PER_BLOCK[num_layers]
  return [block_fn(scope, base_depth=depth_fn(base_depth), num_units=num_units, stride=stride)
          for (scope, base_depth, stride), num_units in zip(STAGES, units, strict=True)]


def bottleneck_units(base_depth, num_units, stride):
  """Unit arguments of a bottleneck block: the last unit strides."""
  unit = {'depth': base_depth * 4, 'depth_bottleneck': base_depth}
  return [dict(unit, stride=1)] * (num_units - 1) + [dict(unit, stride=stride)]


def subsample(inputs, factor, scope=None):
  """Keeps every `factor`-th row and column of `inputs`.

  Args:
    inputs: a `[batch, height, width, channels]` tensor.
    factor: the subsampling factor.
    scope: the name scope.

  Returns:
    `inputs` itself when `factor` is 1, else a 1x1 max pool with stride `factor`.
  """
  if factor == 1:
    return inputs
  return slim.max_pool2d(inputs, [1, 1], stride=factor, scope=scope)


def conv2d_same(inputs, num_outputs, kernel_size, stride, rate=1, scope=None):
  """A strided 2-D convolution whose output does not depend on the input size
  parity.

  With stride 1 this is `slim.conv2d(..., padding='SAME')`. With a larger
  stride, 'SAME' pads more at the end than at the start whenever the input is
  even, so features would shift with the input size. Instead the input is
  padded explicitly, evenly on both sides (one more at the end for an even
  effective kernel), then convolved 'VALID'. The output is then

      slim.conv2d(inputs, num_outputs, kernel_size, stride=1, padding='SAME')
      subsampled by `stride`,

  for any input height and width.

  Args:
    inputs: a `[batch, height_in, width_in, channels]` tensor.
    num_outputs: the number of output filters.
    kernel_size: an int, the kernel height and width.
    stride: an int, the output stride.
    rate: an int, the atrous (dilation) rate.
    scope: the variable scope.

  Returns:
    A `[batch, height_out, width_out, num_outputs]` tensor.
  """
  if stride == 1:
    return slim.conv2d(inputs, num_outputs, kernel_size, stride=1, rate=rate,
                       padding='SAME', scope=scope)
  effective_kernel = kernel_size + (kernel_size - 1) * (rate - 1)
  pad_total = effective_kernel - 1
  pad_begin = pad_total // 2
  pad_end = pad_total - pad_begin
  inputs = tf.pad(inputs, [[0, 0], [pad_begin, pad_end], [pad_begin, pad_end], [0, 0]])
  return slim.conv2d(inputs, num_outputs, kernel_size, stride=stride, rate=rate,
                     padding='VALID', scope=scope)


def _check_output_stride(current_stride, output_stride):
  if output_stride is not None and current_stride > output_stride:
    raise ValueError('The target output_stride cannot be reached.')


@scopes.add_arg_scope
def stack_blocks_dense(net, blocks, output_stride=None,
                       store_non_strided_activations=False,
                       outputs_collections=None):
  """Stacks the units of `blocks`, densely when `output_stride` asks for it.

  Once the product of the strides so far reaches `output_stride`, every
  later unit runs with stride 1 and an atrous rate equal to the strides it
  skipped, so the output keeps the resolution of `output_stride`.

  Args:
    net: a `[batch, height, width, channels]` tensor.
    blocks: a list of `Block`s.
    output_stride: None (the nominal stride) or the desired ratio of input to
      output resolution, counted from `net`.
    store_non_strided_activations: run the last unit of each block with
      stride 1 and subsample its output afterwards, so that the block's end
      point holds the full-resolution activations (dense prediction heads).
    outputs_collections: collection to add each block's output to.

  Returns:
    The output tensor.

  Raises:
    ValueError: if `output_stride` cannot be reached.
  """
  current_stride = 1  # input resolution / current resolution
  rate = 1  # the atrous rate of the units once striding has stopped
  for block in blocks:
    with tf.compat.v1.variable_scope(block.scope, 'block', [net]) as sc:
      block_stride = 1
      for i, unit in enumerate(block.args):
        if store_non_strided_activations and i == len(block.args) - 1:
          block_stride = unit.get('stride', 1)  # applied after the end point
          unit = dict(unit, stride=1)
        with tf.compat.v1.variable_scope('unit_%d' % (i + 1), values=[net]):
          if output_stride is not None and current_stride == output_stride:
            net = block.unit_fn(net, rate=rate, **dict(unit, stride=1))
            rate *= unit.get('stride', 1)
          else:
            net = block.unit_fn(net, rate=1, **unit)
            current_stride *= unit.get('stride', 1)
            _check_output_stride(current_stride, output_stride)
      net = slim.utils.collect_named_outputs(outputs_collections, sc.name, net)
      if output_stride is not None and current_stride == output_stride:
        rate *= block_stride
      else:
        net = subsample(net, block_stride)
        current_stride *= block_stride
        _check_output_stride(current_stride, output_stride)
  if output_stride is not None and current_stride != output_stride:
    raise ValueError('The target output_stride cannot be reached.')
  return net


def resnet_arg_scope(weight_decay=0.0001,
                     batch_norm_decay=0.997,
                     batch_norm_epsilon=1e-5,
                     batch_norm_scale=True,
                     activation_fn=tf.nn.relu,
                     use_batch_norm=True,
                     batch_norm_updates_collections=tf.compat.v1.GraphKeys.UPDATE_OPS):
  """Defaults for ResNets: conv + batch norm + ReLU with He init, SAME pools.

  Args:
    weight_decay: L2 decay of the conv weights.
    batch_norm_decay: decay of the moving averages.
    batch_norm_epsilon: added to the variance.
    batch_norm_scale: learn a gamma (the official checkpoints have one).
    activation_fn: after each conv.
    use_batch_norm: batch norm after each conv.
    batch_norm_updates_collections: where the moving-average updates go.

  Returns:
    A `scopes.Scope`.
  """
  # The arguments are layer_scope's, by name. ResNet v2 calls slim.batch_norm
  # itself (preact, postnorm): it keeps these parameters even without batch
  # norm after the convs.
  return scopes.layer_scope(**locals(),
                            weights_initializer=slim.variance_scaling_initializer(),
                            batch_norm_defaults=True,
                            pool_padding='SAME')


# Helpers of resnet_v1 and resnet_v2: the parts of the network around the blocks.

@contextlib.contextmanager
def end_points_collection(variable_scope):
  """Yields the collection the net's end points gather in, unique per call in
  a graph.

  In graph mode the collection stays in the graph, as in TF-Slim. Eager calls
  share one global graph, and repeated calls one name scope: there the
  collection is emptied on exit, so that it neither keeps the call's tensors
  alive nor hands them to the next call.
  """
  collection = variable_scope.original_name_scope + '_end_points'
  try:
    yield collection
  finally:
    if tf.executing_eagerly():
      tf.compat.v1.get_default_graph().clear_collection(collection)


def training_scope(is_training):
  """Sets batch norm's `is_training`; None leaves it to the caller's scope."""
  if is_training is None:
    return contextlib.nullcontext()
  return scopes.arg_scope([slim.batch_norm], is_training=is_training)


def root_output_stride(output_stride):
  """The output stride the blocks must reach after the root block's 4."""
  if output_stride is None:
    return None
  if output_stride % 4 != 0:
    raise ValueError('The output_stride needs to be a multiple of 4.')
  return output_stride // 4


def root_block(net):
  """The stem: a 7x7 conv of stride 2 to 64 channels, a 3x3 max pool of stride 2."""
  net = conv2d_same(net, 64, 7, stride=2, scope='conv1')
  return slim.max_pool2d(net, [3, 3], stride=2, scope='pool1')


def classifier(net, end_points, num_classes, global_pool, spatial_squeeze, scope_name):
  """Global average pool, 1x1 conv logits, squeeze and softmax, as end points.

  Args:
    net: the features of the last block.
    end_points: the dict to add 'global_pool', '<scope>/logits',
      '<scope>/spatial_squeeze' and 'predictions' to.
    num_classes: 0 or None returns the (pooled) features.
    global_pool: average over height and width, keeping them as 1 x 1.
    spatial_squeeze: drop the 1 x 1 dimensions of the logits.
    scope_name: the net's variable scope name, for the end-point keys.

  Returns:
    The logits, or the features when there are no classes.
  """
  if global_pool:
    net = tf.reduce_mean(net, [1, 2], name='pool5', keepdims=True)
    end_points['global_pool'] = net
  if not num_classes:
    return net
  net = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                    scope='logits')
  end_points[scope_name + '/logits'] = net
  if spatial_squeeze:
    net = tf.squeeze(net, [1, 2], name='SpatialSqueeze')
    end_points[scope_name + '/spatial_squeeze'] = net
  end_points['predictions'] = slim.softmax(net, scope='predictions')
  return net
