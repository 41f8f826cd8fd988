"""Quantization-aware training as a scope: TF-Slim's `--quantize_delay`, for any net.

    with arg_scope(mobilenet_v1_arg_scope()), arg_scope(quantize_scope(quant_delay=2000,
                                                                        step=global_step)):
      logits, _ = mobilenet_v1(images, num_classes=10)

Inside a quantization scope, the layers slim builds (`slim.conv2d`,
`slim.separable_conv2d` as a depthwise convolution, `slim.fully_connected`) are
built as the int8 model runs them:

- weights fake-quantized to int8, symmetric per output channel (per tensor for
  fully connected layers, as TFLite runs them; `fake_quant.weights`);
- a batch norm after the layer folded into its weights and bias
  (`folded_batch_norm`), so the weights quantized are the folded ones;
- the layer's output fake-quantized after its activation, and a layer's input too
  when it is not already a quantized output (the image, a pooling), over ranges
  learned as moving averages (`<layer>/act_quant/min|max`, `<layer>/input_quant/...`);
- the residual sums and concatenations of the nets (`scopes.merges`) fake-quantized
  the same way (`<scope>/add_quant/...`, `<scope>/concat_quant/...`).

In training (batch norm's `is_training`, the Keras layer's `training`, or in a TF1
graph the `is_training` the net scopes for slim.batch_norm and slim.dropout) the
rounding switches on once `step` reaches `quant_delay`; ranges and batch norm
statistics are learned from the first step. In inference it is always on: that is
the eval graph, and the graph the TFLite converter reads its ranges from.

The variables keep slim's names (`weights`, `biases`, `BatchNorm/...`), so float
checkpoints warm-start a quantized net and its checkpoints restore like any
other; only the ranges are new. Outside the scope the layers are slim's own.
`apply()` (on import of `scopes`) reroutes the three slim ops to check for it.
"""

import collections
import functools
import inspect

import tensorflow as tf
import tf_slim as slim
from tf_keras.src.engine import base_layer_utils
from tf_slim.layers import utils as slim_utils

from scopes import fake_quant, factories, stack
from scopes import folded_batch_norm

Settings = collections.namedtuple('Settings', 'quant_delay step ema_decay num_bits')


class Unquantizable(ValueError):
  """A layer the quantization scope cannot build quantized."""


@stack.add_arg_scope
def quantization(quant_delay=0, step=None, ema_decay=0.999, num_bits=8):
  """The settings of a quantization scope; the quantized layers read them.

  Args:
    quant_delay: training steps in float before the rounding switches on.
    step: the training step, a variable or a callable returning one, read in the
      graph (None: tf.compat.v1's global step where there is one, else no delay).
    ema_decay: of the moving averages of the activation ranges.
    num_bits: 8; the int8 kernels TFLite runs.
  """
  return Settings(quant_delay, step, ema_decay, num_bits)


def quantize_scope(quant_delay=0, step=None, ema_decay=0.999, num_bits=8):
  """The scope that quantizes the layers built in it. `scopes.arg_scope` enters it on
  top of the scope in force (the net's own `*_arg_scope()`), where another scope dict
  would replace that; `scopes.merge(net_scope, quantize_scope())` is the same as one dict."""
  scope = factories.scope_for([quantization], quant_delay=quant_delay, step=step,
                              ema_decay=ema_decay, num_bits=num_bits)
  scope.origin = 'scopes.quantize_scope(quant_delay=%d)' % quant_delay
  scope.adds_to_current = True  # `with arg_scope(net_scope), arg_scope(quantize_scope()):`
  return scope


def current_settings():
  """The `Settings` in force, or None outside a quantization scope."""
  if stack.arg_scope_func_key(quantization) not in stack.current_arg_scope():
    return None
  return quantization()


def _step(settings):
  step = settings.step() if callable(settings.step) else settings.step
  if step is None and not tf.compat.v1.executing_eagerly_outside_functions():
    step = tf.compat.v1.train.get_global_step()
  return step


def _training():
  """Training or inference, for a layer without batch norm: the Keras layer's `training`
  (TF2), else the `is_training` the net scoped for slim.batch_norm or slim.dropout
  (TF1 graphs), else inference."""
  training = base_layer_utils.call_context().training
  if training is not None:
    return bool(training)
  current = stack.current_arg_scope()
  for op in (slim.batch_norm, slim.dropout):
    scoped = current.get(stack.arg_scope_func_key(op), {}).get('is_training')
    if isinstance(scoped, bool):
      return scoped
  return False


def _switch_and_decay(settings, training):
  """(active, decay): whether the rounding is on (a bool or a boolean tensor), and
  the range averages' decay, warmed up over the first steps as TF-Slim's moving
  average is (min(decay, (1 + step) / (10 + step)))."""
  if not training:
    return True, settings.ema_decay
  step = _step(settings)
  if step is None:
    return True, settings.ema_decay
  step = tf.cast(step, tf.float32)
  decay = tf.minimum(settings.ema_decay, (1.0 + step) / (10.0 + step))
  if settings.quant_delay <= 0:
    return True, decay
  return tf.greater_equal(step, float(settings.quant_delay)), decay


def quantize_output(tensor, scope, training=None, updates_collections=None):
  """`tensor` fake-quantized over its range learned under `scope`, when a
  quantization scope is in force (else `tensor` itself)."""
  settings = current_settings()
  if settings is None:
    return tensor
  training = _training() if training is None else training
  active, decay = _switch_and_decay(settings, training)
  if updates_collections is None:
    updates_collections = [tf.compat.v1.GraphKeys.UPDATE_OPS]
  return fake_quant.activations(tensor, scope, active, training, decay, settings.num_bits,
                                updates_collections)


def _layer(settings, inputs, kernel_name, kernel_shape, convolve, arguments,
           kind='convolution'):
  """The quantized layer in the current variable scope: weights, folded batch norm
  or biases, activation, fake quantization of input, weights and output."""
  normalizer_fn = arguments['normalizer_fn']
  batch_norm = None
  if normalizer_fn is not None:
    if stack.arg_scope_func_key(normalizer_fn) != stack.arg_scope_func_key(slim.batch_norm):
      raise Unquantizable('%s: only slim.batch_norm folds into a quantized layer, not %s'
                          % (tf.compat.v1.get_variable_scope().name,
                             getattr(normalizer_fn, '__name__', normalizer_fn)))
    batch_norm = folded_batch_norm.parameters(arguments['normalizer_params'])
  training = bool(batch_norm['is_training']) if batch_norm else _training()
  active, decay = _switch_and_decay(settings, training)
  updates_collections = (batch_norm['updates_collections'] if batch_norm
                         else [tf.compat.v1.GraphKeys.UPDATE_OPS])
  if isinstance(updates_collections, str):
    updates_collections = [updates_collections]

  def quantized(tensor, name):
    return fake_quant.activations(tensor, name, active, training, decay, settings.num_bits,
                                  updates_collections)

  if not fake_quant.is_quantized(inputs):
    inputs = quantized(inputs, 'input_quant')
  kernel = slim.model_variable(
      kernel_name, shape=kernel_shape, dtype=tf.float32,
      initializer=arguments['weights_initializer'], regularizer=arguments['weights_regularizer'],
      trainable=arguments['trainable'],
      collections=slim_utils.get_variable_collections(arguments['variables_collections'],
                                                      'weights'))
  quantize_weights = lambda w: fake_quant.weights(w, active, kind, settings.num_bits)  # noqa: E731
  depthwise = kind == 'depthwise'
  channels = kernel_shape[-1] * (kernel_shape[-2] if depthwise else 1)
  if batch_norm is not None:
    folded = folded_batch_norm.FoldedBatchNorm(channels, batch_norm)
    outputs, updates = folded(lambda w: convolve(inputs, w), kernel, quantize_weights,
                              -2 if depthwise else -1, training)
    outputs = fake_quant.after_updates(outputs, updates, updates_collections)
    if batch_norm['activation_fn'] is not None:
      outputs = batch_norm['activation_fn'](outputs)
  else:
    outputs = convolve(inputs, quantize_weights(kernel))
    if arguments['biases_initializer'] is not None:
      biases = slim.model_variable(
          'biases', shape=[channels], dtype=tf.float32,
          initializer=arguments['biases_initializer'],
          regularizer=arguments['biases_regularizer'], trainable=arguments['trainable'],
          collections=slim_utils.get_variable_collections(arguments['variables_collections'],
                                                          'biases'))
      outputs = tf.nn.bias_add(outputs, biases)
  if arguments['activation_fn'] is not None:
    outputs = arguments['activation_fn'](outputs)
  return quantized(outputs, 'act_quant')


def _check_nhwc(arguments, name):
  data_format = arguments.get('data_format')
  if data_format not in (None, 'NHWC'):
    raise Unquantizable('%s: data_format=%s cannot be quantized (NHWC only)'
                        % (name, data_format))


def _conv2d(settings, arguments):
  inputs = tf.convert_to_tensor(arguments['inputs'])
  if inputs.shape.rank != 4:
    raise Unquantizable('slim.conv2d on a rank-%d input cannot be quantized' % inputs.shape.rank)
  with tf.compat.v1.variable_scope(arguments['scope'], 'Conv', [inputs],
                                   reuse=arguments['reuse']) as sc:
    _check_nhwc(arguments, sc.name)
    height, width = slim_utils.two_element_tuple(arguments['kernel_size'])
    stride = slim_utils.two_element_tuple(arguments['stride'])
    rate = slim_utils.two_element_tuple(arguments['rate'])
    shape = [height, width, inputs.shape[-1], arguments['num_outputs']]

    def convolve(x, kernel):
      return tf.nn.conv2d(x, kernel, [1, stride[0], stride[1], 1], arguments['padding'],
                          dilations=[1, rate[0], rate[1], 1])

    outputs = _layer(settings, inputs, 'weights', shape, convolve, arguments)
    return slim_utils.collect_named_outputs(arguments['outputs_collections'], sc.name, outputs)


def _depthwise_conv2d(settings, arguments):
  inputs = tf.convert_to_tensor(arguments['inputs'])
  with tf.compat.v1.variable_scope(arguments['scope'], 'SeparableConv2d', [inputs],
                                   reuse=arguments['reuse']) as sc:
    if arguments['num_outputs'] is not None:
      raise Unquantizable('%s: slim.separable_conv2d with a pointwise part (num_outputs=%s) '
                          'cannot be quantized; only depthwise (num_outputs=None)'
                          % (sc.name, arguments['num_outputs']))
    _check_nhwc(arguments, sc.name)
    height, width = slim_utils.two_element_tuple(arguments['kernel_size'])
    stride = slim_utils.two_element_tuple(arguments['stride'])
    rate = slim_utils.two_element_tuple(arguments['rate'])
    shape = [height, width, inputs.shape[-1], arguments['depth_multiplier']]

    def convolve(x, kernel):
      return tf.nn.depthwise_conv2d(x, kernel, [1, stride[0], stride[1], 1],
                                    arguments['padding'], dilations=rate)

    outputs = _layer(settings, inputs, 'depthwise_weights', shape, convolve, arguments,
                     kind='depthwise')
    return slim_utils.collect_named_outputs(arguments['outputs_collections'], sc.name, outputs)


def _fully_connected(settings, arguments):
  inputs = tf.convert_to_tensor(arguments['inputs'])
  with tf.compat.v1.variable_scope(arguments['scope'], 'fully_connected', [inputs],
                                   reuse=arguments['reuse']) as sc:
    if inputs.shape.rank != 2:
      raise Unquantizable('%s: slim.fully_connected on a rank-%d input cannot be quantized; '
                          'flatten it first' % (sc.name, inputs.shape.rank))
    shape = [inputs.shape[-1], arguments['num_outputs']]
    outputs = _layer(settings, inputs, 'weights', shape, tf.matmul, arguments,
                     kind='fully_connected')
    return slim_utils.collect_named_outputs(arguments['outputs_collections'], sc.name, outputs)


_BUILDERS = {'convolution2d': _conv2d, 'separable_convolution2d': _depthwise_conv2d,
             'fully_connected': _fully_connected}


def _quantizing(original, build):
  """`original` outside a quantization scope; `build` inside one."""
  signature = inspect.signature(original)

  @functools.wraps(original)  # its name and signature, for `python -m nets explain`
  def layer(*args, **kwargs):
    settings = current_settings()
    if settings is None:
      return original(*args, **kwargs)
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return build(settings, bound.arguments)

  layer.scopezoo_quantizing = True
  # The arg-scoped wrapper looks its defaults up under the key of the function it
  # calls: the original's, which every scope dict holds.
  layer._key_op = stack.arg_scope_func_key(original)
  return layer


def apply():
  """Makes slim.conv2d, slim.separable_conv2d and slim.fully_connected build
  quantized inside a quantization scope; safe to call more than once. The
  arg-scoped ops stay the same objects (their scope keys, their defaults): the
  function each calls after applying its defaults is replaced."""
  for op in (slim.conv2d, slim.separable_conv2d, slim.fully_connected):
    original = op.__wrapped__
    for cell in op.__closure__ or ():
      contents = cell.cell_contents
      if getattr(contents, 'scopezoo_quantizing', False):
        break
      if contents is original:
        cell.cell_contents = _quantizing(original, _BUILDERS[original.__name__])
        break
    else:
      raise RuntimeError('tf_slim %s is not the arg-scoped function scopes.quantize expects'
                         % original.__name__)
