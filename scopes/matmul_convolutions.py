"""Runs the convolutions that are matrix products as one: same variables, same result.

Switched on once, on import of `scopes` (and so of `nets`), by `scopes/__init__.py`
calling `apply()`: it wraps the build of tf_slim's convolution layer
(`legacy_tf_layers.Conv2D`) so that its convolution op becomes a matrix product
where it is one, and stays TensorFlow's convolution everywhere else. Two cases:

- A kernel that covers its whole input (VGG's 7x7 fc6 on a 7x7 map, the 1x1
  logits on a pooled 1x1 map): 4-8x faster on oneDNN's CPU kernels (the
  convolution reorders the 400 MB fc6 kernel on every call).
- A 1x1, stride-1 convolution in bfloat16 or float16: oneDNN's filter gradient
  for it reaches 250-330 GFLOP/s on AMX, the product 480-1000 (resnet_v1_50's
  bfloat16 training step about 1.2x faster).

This is speed only; the fixes that make tf_slim work at all are `scopes.compat`.
"""

import tensorflow as tf
from tensorflow.python.keras.legacy_tf_layers import convolutional as legacy_convolutional


def _convolution_or_product(convolution, layer):
  """`convolution(inputs, kernel)`, as a matrix product where it is one."""

  def convolve(inputs, kernel):
    if layer.data_format != 'channels_last' or inputs.shape.rank != 4:
      return convolution(inputs, kernel)
    depth, outputs = kernel.shape[2], kernel.shape[3]
    if _covers_whole_map(layer, inputs.shape, kernel.shape):
      size, shape = inputs.shape[1] * inputs.shape[2] * depth, [-1, 1, 1, outputs]
    elif _pointwise_in_half_precision(layer, inputs.dtype, kernel.shape):
      size, shape = depth, tf.concat([tf.shape(inputs)[:3], [outputs]], 0)
    else:
      return convolution(inputs, kernel)
    product = tf.matmul(tf.reshape(inputs, [-1, size]), tf.reshape(kernel, [size, outputs]))
    return tf.reshape(product, shape)

  return convolve


def _covers_whole_map(layer, input_shape, kernel_shape):
  """True when the convolution has a single output position that sees every input
  position: a VALID kernel the size of the (static) map, or 1x1 on 1x1."""
  height, width = input_shape[1], input_shape[2]
  if height is None or width is None or [height, width] != list(kernel_shape[:2]):
    return False
  if height * width == 1:
    return True
  return layer.padding == 'valid' and list(layer.dilation_rate) == [1, 1]


def _pointwise_in_half_precision(layer, dtype, kernel_shape):
  """A 1x1, stride-1 convolution in bfloat16 or float16. (In float32 oneDNN's 1x1
  kernels match the product, and in inference they fuse the batch norm after them.)"""
  return (dtype in (tf.bfloat16, tf.float16) and list(kernel_shape[:2]) == [1, 1]
          and list(layer.strides) == [1, 1])


def apply():
  """Wraps `Conv2D.build` so that each layer built after it convolves through
  `_convolution_or_product`; safe to call more than once."""
  conv2d = legacy_convolutional.Conv2D
  if getattr(conv2d.build, 'scopezoo_products', False):
    return
  build = conv2d.build

  def build_with_products(self, input_shape):
    build(self, input_shape)
    self._convolution_op = _convolution_or_product(self._convolution_op, self)

  build_with_products.scopezoo_products = True
  conv2d.build = build_with_products
