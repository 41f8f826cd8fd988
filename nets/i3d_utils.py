"""TF-Slim's `nets.i3d_utils`: the 3-D pieces I3D and S3D-G share.

`conv3d_spatiotemporal` is the convolution both tables are built of; with
`separable` it becomes S3D's spatial convolution and a temporal one whose
weights start as the identity (`center_initializer`). `inception_block_v1_3d`
builds one module of those tables on its own.
"""

import numpy as np
import tensorflow as tf
import tf_slim as slim

import scopes
from nets.inception_blocks import Layer, block, build


def center_initializer():
  """Weights of a [t, 1, 1, c, c] temporal convolution that pass each channel's
  middle frame through unchanged: a separable convolution starts as its spatial
  part alone. `t` must be odd and the convolution keep its channels."""

  def initializer(shape, dtype=tf.float32, partition_info=None):  # slim's signature
    del partition_info
    shape = list(shape)
    if dtype not in (tf.float32, tf.bfloat16):
      raise ValueError('center_initializer: dtype must be float32 or bfloat16, got %s' % dtype)
    if len(shape) != 5 or shape[1:3] != [1, 1] or shape[3] != shape[4] or shape[0] % 2 == 0:
      raise ValueError('center_initializer: needs a [t, 1, 1, c, c] kernel with an odd t, got %s'
                       % shape)
    identity = np.zeros(shape, np.float32)
    identity[shape[0] // 2, 0, 0] = np.eye(shape[3], dtype=np.float32)
    return tf.constant(identity, dtype=dtype)

  return initializer


@scopes.add_arg_scope
def conv3d_spatiotemporal(inputs, num_outputs, kernel_size, stride=1, padding='SAME',
                          activation_fn=None, normalizer_fn=None, normalizer_params=None,
                          weights_regularizer=None, separable=False, data_format='NDHWC',
                          scope=None):
  """A `slim.conv3d`; with `separable` and a kernel spanning frames, a 1xhxw
  spatial convolution (normalized) then a tx1x1 temporal one in
  `<scope>/temporal` (with biases, identity-initialized).

  Args:
    inputs: [batch, frames, height, width, channels] (or NCDHW).
    num_outputs: output channels.
    kernel_size: [frames, height, width], or an int for a cube.
    stride: one int or [frames, height, width].
    padding, activation_fn, normalizer_fn, normalizer_params,
      weights_regularizer, data_format: as for `slim.conv3d`, to both parts.
    separable: split the kernel into spatial and temporal parts.
    scope: variable scope.
  """
  kernel = [kernel_size] * 3 if isinstance(kernel_size, int) else list(kernel_size)
  strides = [stride] * 3 if isinstance(stride, int) else list(stride)
  common = dict(padding=padding, activation_fn=activation_fn, data_format=data_format)
  normalized = dict(common, normalizer_fn=normalizer_fn, normalizer_params=normalizer_params,
                    weights_regularizer=weights_regularizer, scope=scope)
  if not (separable and kernel[0] != 1):
    return slim.conv3d(inputs, num_outputs, kernel, stride=strides, **normalized)
  net = slim.conv3d(inputs, num_outputs, [1] + kernel[1:], stride=[1] + strides[1:],
                    **normalized)
  # The temporal part's regularizer is slim.conv3d's arg_scope's, as in TF-Slim.
  return slim.conv3d(net, num_outputs, [kernel[0], 1, 1], stride=[strides[0], 1, 1],
                     normalizer_fn=None, weights_initializer=center_initializer(),
                     scope=scope + '/temporal' if scope else None, **common)


conv3d_spatiotemporal.rank = 3  # 3-D kernels in the inception_blocks tables


def reduced_kernel_size_3d(input_tensor, kernel_size):
  """`kernel_size` ([frames, height, width]) clipped to the static frames,
  height and width of an NDHWC `input_tensor`; unknown sizes keep it."""
  shape = input_tensor.shape.as_list()[1:4]
  return [k if s is None else min(s, k) for s, k in zip(shape, kernel_size, strict=True)]


@scopes.add_arg_scope
def inception_block_v1_3d(inputs, num_outputs_0_0a, num_outputs_1_0a, num_outputs_1_0b,
                          num_outputs_2_0a, num_outputs_2_0b, num_outputs_3_0b,
                          temporal_kernel_size=3, self_gating_fn=None, data_format='NDHWC',
                          scope=None):
  """One 3-D Inception v1 module, as a row of the I3D / S3D-G tables builds it:
  1x1 | 1x1 -> tx3x3 | 1x1 -> tx3x3 | 3x3x3 max pool -> 1x1, concatenated.

  Args:
    inputs: [batch, frames, height, width, channels] (or NCDHW).
    num_outputs_*: channels of Branch_<b>/Conv2d_0<x>_..., TF-Slim's names.
    temporal_kernel_size: frames spanned by the two tx3x3 convolutions
      (`conv3d_spatiotemporal`, separable under its arg_scope).
    self_gating_fn: `fn(net, scope=...)` applied to each branch's output, or
      None (S3D-G passes its `self_gating`).
    data_format: 'NDHWC' or 'NCDHW'.
    scope: variable scope (default 'inception_block_v1_3d').

  Returns:
    The concatenated branches.
  """

  def ending(op):  # the last layer of a branch, gated when asked
    if self_gating_fn is None:
      return op

    def gated(net, num_outputs, kernel_size, scope, **kwargs):
      return self_gating_fn(op(net, num_outputs, kernel_size, scope=scope, **kwargs),
                            scope=scope)

    return gated

  def layer(op, depth, kernel, name):
    return Layer(op, depth, kernel, 1, name, 'SAME', None, {'data_format': data_format})

  spatiotemporal = [temporal_kernel_size, 3, 3]
  module = block(
      scope or 'inception_block_v1_3d',
      [layer(ending(slim.conv3d), num_outputs_0_0a, [1, 1, 1], 'Conv2d_0a_1x1')],
      [layer(slim.conv3d, num_outputs_1_0a, [1, 1, 1], 'Conv2d_0a_1x1'),
       layer(ending(conv3d_spatiotemporal), num_outputs_1_0b, spatiotemporal, 'Conv2d_0b_3x3')],
      [layer(slim.conv3d, num_outputs_2_0a, [1, 1, 1], 'Conv2d_0a_1x1'),
       layer(ending(conv3d_spatiotemporal), num_outputs_2_0b, spatiotemporal, 'Conv2d_0b_3x3')],
      [layer(slim.max_pool3d, None, [3, 3, 3], 'MaxPool_0a_3x3'),
       layer(ending(slim.conv3d), num_outputs_3_0b, [1, 1, 1], 'Conv2d_0b_1x1')])
  return build(inputs, module, concat_axis=data_format.index('C'))
