"""Batch norm folded into the convolution before it, as the int8 model runs it.

An int8 convolution has no batch norm: the converter folds it into the weights,
w * gamma / sqrt(moving_variance + epsilon), and the bias, beta - gamma *
moving_mean / sqrt(moving_variance + epsilon). Training the folded form (Jacob et
al. 2018, the form tf.contrib.quantize built) quantizes exactly those weights, so
the ranges learned are the ones the int8 model runs with. In training the batch's
statistics still normalize: the convolution runs once in float for the batch's
mean and variance (which also update the moving ones), then on the folded,
quantized weights, with the output rescaled by sigma_moving / sigma_batch and the
bias taken from the batch mean; without quantization that equals batch norm.

The variables are slim.batch_norm's, with its names (`BatchNorm/beta`, `gamma`,
`moving_mean`, `moving_variance`), so float checkpoints restore into it.
"""

import tensorflow as tf
import tf_slim as slim

UNSUPPORTED = {'renorm': False, 'zero_debias_moving_mean': False, 'adjustment': None,
               'batch_weights': None}


class Unfoldable(ValueError):
  """A batch norm the folding cannot express."""


def parameters(normalizer_params):
  """slim.batch_norm's arguments in force: its arg_scope defaults, then
  `normalizer_params`, then its own defaults."""
  scope = slim.current_arg_scope().get(slim.arg_scope_func_key(slim.batch_norm), {})
  params = dict(decay=0.999, center=True, scale=False, epsilon=0.001, activation_fn=None,
                param_initializers=None, param_regularizers=None,
                updates_collections=tf.compat.v1.GraphKeys.UPDATE_OPS, is_training=True,
                reuse=None, variables_collections=None, trainable=True, scope=None,
                data_format='NHWC')
  params.update(scope)
  params.update(normalizer_params or {})
  for name, plain in UNSUPPORTED.items():
    if params.get(name, plain) != plain:
      raise Unfoldable('batch norm with %s=%r cannot be folded' % (name, params[name]))
  if params['data_format'] != 'NHWC':
    raise Unfoldable('batch norm in %s cannot be folded (NHWC only)' % params['data_format'])
  return params


def _variable(name, channels, params, default_initializer, trainable, collections=None):
  initializers = params['param_initializers'] or {}
  regularizers = params['param_regularizers'] or {}
  extra = {}
  if not trainable:  # statistics: each replica keeps its own, read as their mean
    extra = dict(synchronization=tf.VariableSynchronization.ON_READ,
                 aggregation=tf.VariableAggregation.MEAN)
  return slim.model_variable(
      name, shape=[channels], dtype=tf.float32,
      initializer=initializers.get(name, default_initializer),
      regularizer=regularizers.get(name), trainable=trainable and params['trainable'],
      collections=collections, **extra)


class FoldedBatchNorm:
  """The variables of one batch norm over `channels` outputs, made in the current
  variable scope under `params['scope'] or 'BatchNorm'`."""

  def __init__(self, channels, params):
    self.params = params
    moving = [tf.compat.v1.GraphKeys.GLOBAL_VARIABLES,
              tf.compat.v1.GraphKeys.MOVING_AVERAGE_VARIABLES]
    with tf.compat.v1.variable_scope(params['scope'], 'BatchNorm', reuse=params['reuse']):
      self.beta = (_variable('beta', channels, params, tf.compat.v1.zeros_initializer(), True)
                   if params['center'] else None)
      self.gamma = (_variable('gamma', channels, params, tf.compat.v1.ones_initializer(), True)
                    if params['scale'] else None)
      self.moving_mean = _variable('moving_mean', channels, params,
                                   tf.compat.v1.zeros_initializer(), False, moving)
      self.moving_variance = _variable('moving_variance', channels, params,
                                       tf.compat.v1.ones_initializer(), False, moving)

  def _gamma(self):
    return 1.0 if self.gamma is None else self.gamma

  def _beta(self):
    return 0.0 if self.beta is None else self.beta

  def __call__(self, convolve, kernel, quantize_weights, channels_axis, training):
    """The folded layer's output (before its activation) and its updates.

    Args:
      convolve: kernel -> the layer's linear output (convolution or product).
      kernel: the float weights.
      quantize_weights: (folded kernel) -> the fake-quantized folded kernel.
      channels_axis: the kernel's axis of output channels, -1 or -2 (depthwise
        kernels [h, w, in, multiplier] are folded over their last two axes).
      training: normalize by the batch's statistics and update the moving ones.
    """
    epsilon = self.params['epsilon']
    moving_sigma = tf.sqrt(self.moving_variance + epsilon)
    scale = self._gamma() / moving_sigma
    folded = kernel * tf.reshape(scale, _per_channel_shape(kernel, channels_axis))
    if not training:
      bias = self._beta() - self._gamma() * self.moving_mean / moving_sigma
      return convolve(quantize_weights(folded)) + bias, []
    plain = convolve(kernel)
    axes = list(range(plain.shape.rank - 1))
    mean, variance = tf.nn.moments(plain, axes)
    decay = self.params['decay']
    # The moving variance takes the unbiased estimate, as slim's fused batch norm does.
    count = tf.cast(tf.reduce_prod(tf.shape(plain)[:-1]), tf.float32)
    unbiased = variance * count / tf.maximum(count - 1.0, 1.0)
    updates = [self.moving_mean.assign_sub((1.0 - decay) * (self.moving_mean - mean)),
               self.moving_variance.assign_sub((1.0 - decay) * (self.moving_variance - unbiased))]
    batch_sigma = tf.sqrt(variance + epsilon)
    correction = tf.stop_gradient(moving_sigma) / batch_sigma
    bias = self._beta() - self._gamma() * mean / batch_sigma
    return convolve(quantize_weights(folded)) * correction + bias, updates


def _per_channel_shape(kernel, channels_axis):
  """The shape that broadcasts a per-output-channel vector over `kernel`."""
  shape = kernel.shape.as_list()
  if channels_axis == -1:
    return [1] * (len(shape) - 1) + [shape[-1]]
  return [1] * (len(shape) - 2) + shape[-2:]  # depthwise: channels are in x multiplier
