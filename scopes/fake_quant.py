"""Fake quantization: float tensors rounded to the int8 grid they will run on.

Two kinds, as TFLite quantizes a model:

- Weights: symmetric over [-m, m] with m the largest magnitude, per output channel
  of a convolution (per tensor for a fully connected layer, as TFLite has it);
  narrow range, -127..127, so zero is exact.
- Activations: asymmetric over a range [min, max] held in two variables under
  `<scope>/min` and `<scope>/max`, learned in training as moving averages of
  each batch's range (widened to hold zero), read as they are in inference.

The rounding is switched by `active`: a Python bool, or a boolean tensor (the
quantization delay); ranges are learned whether or not it is on, so they are
ready when it switches on.
"""

import re
import weakref

import tensorflow as tf

_RANGE_INITIAL = (-6.0, 6.0)  # tf.contrib.quantize's, replaced by the first batch's range

# The tensors fake-quantized so far, by id (a weak reference confirms the id):
# a layer whose input is one of them does not quantize its input again.
_QUANTIZED = {}


def is_range_name(name):
  """Whether a variable name is a learned range's (`.../<x>_quant/min` or `/max`)."""
  return re.search(r'_quant/(min|max)$', name) is not None


def is_quantized(tensor):
  ref = _QUANTIZED.get(id(tensor))
  return ref is not None and ref() is tensor


def _mark(tensor):
  key = id(tensor)
  try:
    _QUANTIZED[key] = weakref.ref(tensor, lambda _: _QUANTIZED.pop(key, None))
  except TypeError:  # a tensor type without weak references: it is simply quantized again
    pass
  return tensor


def switched(active, quantized, plain):
  """`quantized()` where `active`, else `plain()`; a Python bool decides at trace time."""
  if isinstance(active, bool):
    return quantized() if active else plain()
  return tf.cond(active, quantized, plain)


def weights(kernel, active, kind='convolution', num_bits=8):
  """`kernel` fake-quantized symmetric over its largest magnitude, as TFLite quantizes
  each kind: a 'convolution' per output channel (the last axis), a 'depthwise' kernel
  [height, width, in, multiplier] per channel of in x multiplier, a 'fully_connected'
  one per tensor (TFLite's FULLY_CONNECTED transposes its weights and keeps one scale)."""
  shape = kernel.shape.as_list()
  if kind == 'depthwise':
    channels = tf.reshape(kernel, shape[:2] + [1, shape[2] * shape[3]])
  else:
    channels = kernel
  per_channel = kind != 'fully_connected'
  axes = list(range(channels.shape.rank - 1)) if per_channel else None
  # The range follows the weights; the rounding passes gradients straight through.
  magnitude = tf.stop_gradient(tf.maximum(tf.reduce_max(tf.abs(channels), axis=axes), 1e-8))

  def quantized():
    if not per_channel:
      return tf.quantization.fake_quant_with_min_max_vars(
          kernel, -magnitude, magnitude, num_bits=num_bits, narrow_range=True)
    rounded = tf.quantization.fake_quant_with_min_max_vars_per_channel(
        channels, -magnitude, magnitude, num_bits=num_bits, narrow_range=True)
    return tf.reshape(rounded, shape)

  return switched(active, quantized, lambda: kernel)


def _range_variable(name, value):
  return tf.compat.v1.get_variable(
      name, shape=[], dtype=tf.float32, initializer=tf.compat.v1.constant_initializer(value),
      trainable=False, collections=[tf.compat.v1.GraphKeys.GLOBAL_VARIABLES,
                                    tf.compat.v1.GraphKeys.MOVING_AVERAGE_VARIABLES],
      synchronization=tf.VariableSynchronization.ON_READ,
      aggregation=tf.VariableAggregation.MEAN)


def learned_range(tensor, scope, training, decay):
  """(min, max) variables of `scope`; in training, first moved towards the batch's
  range by `decay` (a scalar tensor or float). Returns (min, max, updates)."""
  with tf.compat.v1.variable_scope(scope):
    low = _range_variable('min', _RANGE_INITIAL[0])
    high = _range_variable('max', _RANGE_INITIAL[1])
  if not training:
    return low, high, []
  batch_low = tf.minimum(tf.reduce_min(tf.stop_gradient(tensor)), 0.0)
  batch_high = tf.maximum(tf.reduce_max(tf.stop_gradient(tensor)), 0.0)
  updates = [low.assign_sub((1.0 - decay) * (low - batch_low)),
             high.assign_sub((1.0 - decay) * (high - batch_high))]
  return low, high, updates


def after_updates(tensor, updates, collections):
  """`tensor`, with `updates` (a range's, batch norm's statistics) made to run: where they
  are made in eager execution and inside a `tf.function`; in a TF1 graph put in
  `collections` (TF-Slim's UPDATE_OPS), or with None run before `tensor`, as
  slim.batch_norm does."""
  if not updates or tf.compat.v1.executing_eagerly_outside_functions():
    return tensor
  if collections:
    for update in updates:
      tf.compat.v1.add_to_collections(collections, update)
    return tensor
  with tf.control_dependencies(updates):
    return tf.identity(tensor)


def activations(tensor, scope, active, training, decay, num_bits=8, updates_collections=None):
  """`tensor` fake-quantized over its learned range (variables `scope/min`, `scope/max`);
  the range's updates as `after_updates` says."""
  low, high, updates = learned_range(tensor, scope, training, decay)
  tensor = after_updates(tensor, updates, updates_collections)
  # Read after the update: training rounds with the range it has just learned.
  with tf.control_dependencies(updates if tf.compat.v1.executing_eagerly_outside_functions()
                               else []):
    low_value, high_value = tf.identity(low), tf.identity(high)
  output = switched(active, lambda: tf.quantization.fake_quant_with_min_max_vars(
      tensor, low_value, high_value, num_bits=num_bits, narrow_range=False), lambda: tensor)
  return _mark(output)
