"""The ops that merge tensors in the nets (residual sums, concatenations), as
scoped ops: the same values as `tf.add` and `tf.concat`, and inside a
quantization scope (`scopes.quantize`) their outputs are fake-quantized over
ranges learned under `<variable scope>/add_quant` and `.../concat_quant`, as
TFLite's int8 ADD and CONCATENATION run them."""

import tensorflow as tf

from scopes import quantize, stack


@stack.add_arg_scope
def add(x, y, activation_fn=None, scope='add_quant'):
  """`activation_fn(x + y)` (just the sum with None): a residual connection."""
  output = x + y
  if activation_fn is not None:
    output = activation_fn(output)
  return quantize.quantize_output(output, scope)


@stack.add_arg_scope
def concat(values, axis, scope='concat_quant'):
  """`tf.concat(values, axis)`: the branches of an Inception block."""
  return quantize.quantize_output(tf.concat(values, axis), scope)
