"""Inception networks as data: layer tables and the one builder that reads them.

An Inception base is a sequence of items: single layers (a stem convolution, a
pooling) and mixed blocks. A mixed block runs parallel branches on the same
input and concatenates their outputs on the channel axis, in branch order; a
branch is a sequence of layers. A table is written with the constructors here:

    block('Mixed_3b',
          [conv(64, 1, 'Conv2d_0a_1x1')],
          [conv(96, 1, 'Conv2d_0a_1x1'), conv(128, 3, 'Conv2d_0b_3x3')],
          [max_pool(3, 'MaxPool_0a_3x3'), conv(32, 1, 'Conv2d_0b_1x1')])

and `build` turns it into slim layers with TF-Slim's variable names:
`Mixed_3b/Branch_0/Conv2d_0a_1x1/weights`, `Mixed_3b/Branch_1/...`. Inside a
branch, `fork(...)` applies several layers to the same tensor and concatenates
them (Inception v3's 1x3 / 3x1 pairs). `build_base` runs a whole table up to a
final end point and records every item's output under its scope name.

Each layer names its scope explicitly, so the quirks of the official
checkpoints (a 3x3 convolution named `Conv2d_1a_1x1`, ...) stay visible in the
table. What a table leaves out (activation, normalizer, weights initializer,
default stride and padding) comes from the arg_scope in force.
"""

import collections
import contextlib

import tensorflow as tf
import tf_slim as slim

import scopes


def reduced_kernel_size_for_small_input(input_tensor, kernel_size):
  """`kernel_size` clipped to the static height and width of `input_tensor`.

  A fixed pooling or convolution kernel would be larger than the feature map
  of a small input; TF-Slim clips it so the layer still reduces to 1x1. An
  unknown height or width keeps the kernel as it is.

  Args:
    input_tensor: a 4-D NHWC tensor.
    kernel_size: `[height, width]`.

  Returns:
    The kernel size, a list of two ints.
  """
  shape = input_tensor.get_shape().as_list()
  if shape[1] is None or shape[2] is None:
    return list(kernel_size)
  return [min(shape[1], kernel_size[0]), min(shape[2], kernel_size[1])]


def depth_fn(min_depth=16, depth_multiplier=1.0):
  """`depth(d)`: the channels built for a table depth `d` (TF-Slim's rule).

  Raises:
    ValueError: depth_multiplier <= 0.
  """
  if depth_multiplier <= 0:
    raise ValueError('depth_multiplier is not greater than zero.')
  return lambda d: max(int(d * depth_multiplier), min_depth)


class Layer(collections.namedtuple(
    'Layer', 'op depth kernel stride scope padding stddev options')):
  """One slim layer of a table.

  Attributes:
    op: 'conv', 'separable_conv', 'max_pool', 'avg_pool', for video (NDHWC)
      'conv3d' and 'max_pool3d', or a function with the slim conv signature
      (`rank = 3` on it for 3-D kernels).
    depth: output channels before the net's depth function (None for pools).
    kernel: an int, or `(height, width)` (`(time, height, width)` in 3-D).
    stride: an int, or one per spatial (and temporal) axis.
    scope: the variable scope, e.g. 'Conv2d_0b_3x3'; also the end-point key
      when the layer stands at the top of a table.
    padding: 'SAME', 'VALID', or None for the arg_scope's.
    stddev: a truncated-normal weights initializer, or None for the
      arg_scope's.
    options: further keyword arguments of the slim op (a dict), or None.
  """


Block = collections.namedtuple('Block', 'scope branches')
Block.__doc__ = """A mixed block: `branches` (sequences of layers) built under
`scope/Branch_<i>` and concatenated in order; scope None builds them under
`Branch_<i>` of the current scope (for blocks whose scope the caller opens)."""

Fork = collections.namedtuple('Fork', 'layers')
Fork.__doc__ = """Inside a branch: `layers` applied to the same tensor, their
outputs concatenated in order."""


def conv(depth, kernel, scope, stride=1, padding=None, stddev=None, **options):
  """A `slim.conv2d` layer."""
  return Layer('conv', depth, kernel, stride, scope, padding, stddev, options or None)


def separable_conv(depth, kernel, scope, stride=1, padding=None, stddev=None,
                   **options):
  """A `slim.separable_conv2d` layer (`depth_multiplier` goes in options)."""
  return Layer('separable_conv', depth, kernel, stride, scope, padding, stddev,
               options or None)


def max_pool(kernel, scope, stride=1, padding=None):
  """A `slim.max_pool2d` layer."""
  return Layer('max_pool', None, kernel, stride, scope, padding, None, None)


def avg_pool(kernel, scope, stride=1, padding=None):
  """A `slim.avg_pool2d` layer."""
  return Layer('avg_pool', None, kernel, stride, scope, padding, None, None)


def block(scope, *branches):
  """A mixed block of `branches`, each a list of layers (or forks)."""
  return Block(scope, tuple(tuple(branch) for branch in branches))


def fork(*layers):
  """Parallel layers on one tensor, concatenated: a branch that splits."""
  return Fork(tuple(layers))


def conv3d(depth, kernel, scope, stride=1, padding=None, **options):
  """A `slim.conv3d` layer (a kernel int means a cube)."""
  return Layer('conv3d', depth, kernel, stride, scope, padding, None, options or None)


def max_pool3d(kernel, scope, stride=1, padding=None):
  """A `slim.max_pool3d` layer."""
  return Layer('max_pool3d', None, kernel, stride, scope, padding, None, None)


_OPS = {
    'conv': slim.conv2d,
    'separable_conv': slim.separable_conv2d,
    'max_pool': slim.max_pool2d,
    'avg_pool': slim.avg_pool2d,
    'conv3d': slim.conv3d,
    'max_pool3d': slim.max_pool3d,
}


def _identity(depth):
  return depth


def _build_layer(net, layer, depth):
  op = _OPS[layer.op] if isinstance(layer.op, str) else layer.op
  rank = 3 if getattr(op, 'rank', None) == 3 or str(layer.op).endswith('3d') else 2
  kernel = [layer.kernel] * rank if isinstance(layer.kernel, int) else list(layer.kernel)
  kwargs = dict(layer.options or {}, stride=layer.stride, scope=layer.scope)
  if layer.padding is not None:
    kwargs['padding'] = layer.padding
  if layer.stddev is not None:
    kwargs['weights_initializer'] = scopes.trunc_normal(layer.stddev)
  if layer.depth is None:  # a pooling
    return op(net, kernel, **kwargs)
  return op(net, depth(layer.depth), kernel, **kwargs)


def build(net, item, depth=None, concat_axis=3):
  """The output of one table item on `net`.

  Args:
    net: the input tensor.
    item: a `Layer`, `Fork` or `Block`, or a list of them (built in order).
    depth: maps a table depth to the channels built (a net's depth
      multiplier and minimum depth); None builds the table's depths.
    concat_axis: the channel axis: 3 for NHWC, 1 for NCHW.

  Returns:
    The output tensor.
  """
  depth = depth or _identity
  if isinstance(item, (list, tuple)) and not isinstance(item, (Layer, Block, Fork)):
    for layer in item:
      net = build(net, layer, depth, concat_axis)
    return net
  if isinstance(item, Layer):
    return _build_layer(net, item, depth)
  if isinstance(item, Fork):
    outputs = [build(net, layer, depth, concat_axis) for layer in item.layers]
    return scopes.merges.concat(outputs, axis=concat_axis)
  if isinstance(item, Block):
    with (tf.compat.v1.variable_scope(item.scope) if item.scope is not None
          else contextlib.nullcontext()):
      outputs = []
      for i, branch in enumerate(item.branches):
        with tf.compat.v1.variable_scope('Branch_%d' % i):
          outputs.append(build(net, branch, depth, concat_axis))
      return scopes.merges.concat(outputs, axis=concat_axis)
  raise TypeError('not an Inception table item: %r' % (item,))


def end_point_names(table):
  """The end-point keys a table records, in order."""
  return [item.scope for item in table]


def build_base(inputs, table, final_endpoint, depth=None, concat_axis=3):
  """Builds `table` on `inputs` up to and including `final_endpoint`.

  Args:
    inputs: the input tensor.
    table: a sequence of `Layer`s and `Block`s; each one's output becomes the
      end point named by its scope.
    final_endpoint: the scope of the last item to build.
    depth, concat_axis: as for `build`.

  Returns:
    `(net, end_points)`: the output of `final_endpoint` and a dict of the
    outputs built so far.

  Raises:
    ValueError: `final_endpoint` is not in the table.
  """
  if final_endpoint not in end_point_names(table):
    raise ValueError('Unknown final endpoint %s' % final_endpoint)
  net, end_points = inputs, {}
  for item in table:
    net = build(net, item, depth, concat_axis)
    end_points[item.scope] = net
    if item.scope == final_endpoint:
      break
  return net, end_points
