"""MobileNet's blocks: the expanded (inverted-residual) convolution, with TF-Slim's names.

    expanded_conv: [expand 1x1] -> depthwise kxk -> [transform] -> project 1x1 -> [+ input]

Scopes `expand`, `depthwise`, `project` hold the variables; the tensors
`expansion_output`, `depthwise_output` and `output` become end points.
"""

import tensorflow as tf
import tf_slim as slim

import scopes
from nets import shapes


def make_divisible(value, divisor, min_value=None):
  """`value` rounded to a multiple of `divisor`, at least `min_value`, and never
  more than 10% below `value` (TF-Slim's rule for channel counts)."""
  min_value = min_value or divisor
  new_value = max(min_value, int(value + divisor / 2) // divisor * divisor)
  if new_value < 0.9 * value:
    new_value += divisor
  return int(new_value)


def expand_input_by_factor(n, divisible_by=8):
  """An expansion size: `n` times the input depth, made divisible."""
  return lambda num_inputs: make_divisible(num_inputs * n, divisible_by)


def fixed_padding(inputs, kernel_size, rate=1):
  """Pads height and width so a 'VALID' convolution sees what 'SAME' would."""
  effective = [k + (k - 1) * (rate - 1) for k in kernel_size]
  before = [(k - 1) // 2 for k in effective]
  after = [k - 1 - b for k, b in zip(effective, before, strict=True)]
  return tf.pad(inputs, [[0, 0], [before[0], after[0]], [before[1], after[1]], [0, 0]])


EXPAND_BY_6 = expand_input_by_factor(6)  # MobileNet v2's expansion


@scopes.add_arg_scope
def expanded_conv(input_tensor, num_outputs, expansion_size=EXPAND_BY_6,
                  stride=1, rate=1, kernel_size=(3, 3), residual=True, normalizer_fn=None,
                  expansion_transform=None, depthwise_location='expansion',
                  depthwise_channel_multiplier=1, endpoints=None, use_explicit_padding=False,
                  padding='SAME', inner_activation_fn=None, depthwise_activation_fn=None,
                  project_activation_fn=tf.identity, depthwise_fn=slim.separable_conv2d,
                  expansion_fn=slim.conv2d, projection_fn=slim.conv2d, scope=None):
  """The inverted-residual block of MobileNet v2 and v3.

  Args:
    input_tensor: [batch, height, width, channels].
    num_outputs: channels of the projection.
    expansion_size: channels of the expansion, or `fn(num_inputs)`; no
      expansion layer when it does not exceed the input's channels.
    stride, rate, kernel_size: of the depthwise convolution.
    residual: add the input when stride is 1 and the depths agree.
    normalizer_fn: for all three convolutions.
    expansion_transform: `fn(expansion_tensor=..., input_tensor=...)` applied
      after the depthwise convolution (MobileNet v3's squeeze-excite).
    depthwise_location: 'expansion' (v2, v3) or None (no depthwise: EdgeTPU's
      fused blocks, whose expansion is a kxk convolution).
    depthwise_channel_multiplier: the depthwise convolution's multiplier.
    endpoints: a dict that receives 'expansion_output', 'depthwise_output'
      and 'output'.
    use_explicit_padding: pad by hand and convolve 'VALID'.
    padding: 'SAME' or 'VALID'.
    inner_activation_fn: overrides the arg_scope's activation of the expansion
      and, unless `depthwise_activation_fn` is given, of the depthwise one.
    depthwise_activation_fn: the depthwise convolution's activation.
    project_activation_fn: of the projection (linear by default).
    depthwise_fn, expansion_fn, projection_fn: the slim ops used.
    scope: variable scope (default 'expanded_conv').

  Returns:
    The block's output.
  """
  endpoints = {} if endpoints is None else endpoints
  with tf.compat.v1.variable_scope(scope, default_name='expanded_conv'):
    net = input_tensor
    if use_explicit_padding:
      if padding != 'SAME':
        raise ValueError('use_explicit_padding takes padding SAME, got %r' % padding)
      padding = 'VALID'
    in_depth = shapes.channels(net)
    inner_size = expansion_size(in_depth) if callable(expansion_size) else expansion_size
    if inner_size > in_depth:
      options = {} if inner_activation_fn is None else {'activation_fn': inner_activation_fn}
      if depthwise_location is None:  # a fused block: the expansion is the spatial conv
        if use_explicit_padding:
          net = fixed_padding(net, kernel_size, rate)
        net = expansion_fn(net, inner_size, kernel_size, stride=stride, rate=rate,
                           padding=padding, normalizer_fn=normalizer_fn, scope='expand',
                           **options)
      else:
        net = expansion_fn(net, inner_size, [1, 1], normalizer_fn=normalizer_fn, scope='expand',
                           **options)
      net = endpoints['expansion_output'] = tf.identity(net, name='expansion_output')
    if depthwise_location == 'expansion':
      if use_explicit_padding:
        net = fixed_padding(net, kernel_size, rate)
      # The depthwise convolution takes the expansion's nonlinearity unless told otherwise.
      activation = depthwise_activation_fn or inner_activation_fn
      options = {} if activation is None else {'activation_fn': activation}
      net = depthwise_fn(net, None, kernel_size, depth_multiplier=depthwise_channel_multiplier,
                         stride=stride, rate=rate, normalizer_fn=normalizer_fn, padding=padding,
                         scope='depthwise', **options)
      net = endpoints['depthwise_output'] = tf.identity(net, name='depthwise_output')
    if expansion_transform:
      net = expansion_transform(expansion_tensor=net, input_tensor=input_tensor)
    net = projection_fn(net, num_outputs, [1, 1], normalizer_fn=normalizer_fn,
                        activation_fn=project_activation_fn, scope='project')
    if residual and stride == 1 and shapes.channels(net) == in_depth:
      net = scopes.merges.add(net, input_tensor)
    net = endpoints['output'] = tf.identity(net, name='output')
    return net


def squeeze_excite(input_tensor, divisible_by=8, squeeze_factor=3, inner_activation_fn=tf.nn.relu,
                   gating_fn=tf.sigmoid):
  """Squeeze-and-excitation in scope 'squeeze_excite': the channels of
  `input_tensor` rescaled by a gate computed from their spatial means through
  two 1x1 convolutions (Conv: squeeze by `squeeze_factor`, Conv_1: excite)."""
  with tf.compat.v1.variable_scope('squeeze_excite'):
    channels = shapes.channels(input_tensor)
    squeeze_channels = make_divisible(channels / squeeze_factor, divisor=divisible_by)
    pooled = tf.reduce_mean(input_tensor, [1, 2], keepdims=True)
    squeeze = slim.conv2d(pooled, squeeze_channels, [1, 1], normalizer_fn=None,
                          activation_fn=inner_activation_fn, scope='Conv')
    excite = slim.conv2d(squeeze, channels, [1, 1], normalizer_fn=None, activation_fn=gating_fn,
                         scope='Conv_1')
    return input_tensor * excite
