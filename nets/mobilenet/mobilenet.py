"""The MobileNet engine: a network is a conv-defs table, and this builds it.

A conv-defs table is a dict:

    defaults: {(slim ops...): {argument: value}}  arg_scope defaults while building
    spec:     [op(slim.conv2d, stride=2, num_outputs=32, kernel_size=[3, 3]),
               op(expanded_conv, stride=2, num_outputs=24), ...]

Each op of `spec` becomes end point 'layer_<i>' (from 1), under TF-Slim's
scope names (Conv, Conv_1, expanded_conv, expanded_conv_1, ...); a block's
inner tensors become 'layer_<i>/expansion_output', '.../depthwise_output' and
'.../output'. `multiplier` scales every op's `num_outputs` (made divisible by
8, at least 8: `depth_multiplier`). MobileNet v2 and v3 are two such tables
(mobilenet_v2.py, mobilenet_v3.py).
"""

import collections
import contextlib

import tensorflow as tf
import tf_slim as slim

import scopes
from nets.mobilenet import conv_blocks

Op = collections.namedtuple('Op', ['op', 'params', 'multiplier_func'])


@scopes.add_arg_scope
def depth_multiplier(output_params, multiplier, divisible_by=8, min_depth=8, **unused):
  """Scales `output_params['num_outputs']` by `multiplier`, made divisible."""
  del unused
  if 'num_outputs' in output_params:
    output_params['num_outputs'] = conv_blocks.make_divisible(
        output_params['num_outputs'] * multiplier, divisible_by, min_depth)


def op(opfunc, multiplier_func=depth_multiplier, **params):
  """One row of a conv-defs spec."""
  return Op(opfunc, params, multiplier_func)


# TF-Slim's default scope name of each op, numbered _1, _2, ... when repeated.
_DEFAULT_NAMES = {
    slim.conv2d: 'Conv',
    slim.separable_conv2d: 'SeparableConv2d',
    slim.avg_pool2d: 'AvgPool2D',
    slim.max_pool2d: 'MaxPool2D',
    conv_blocks.expanded_conv: 'expanded_conv',
}


def _default_name(opfunc, counts):
  base = _DEFAULT_NAMES.get(getattr(opfunc, 'func', opfunc), None)
  if base is None:
    base = getattr(opfunc, '__name__', 'op')
  n = counts.get(base, 0)
  counts[base] = n + 1
  return base if n == 0 else '%s_%d' % (base, n)


@contextlib.contextmanager
def _defaults_scope(defaults):
  with contextlib.ExitStack() as stack:
    for ops, params in (defaults or {}).items():
      stack.enter_context(scopes.arg_scope(list(ops), **params))
    yield


GROUP_NORM_GROUPS = 8  # TF-Slim's group count; every MobileNet depth is a multiple of 8


def with_group_norm(conv_defs, groups=GROUP_NORM_GROUPS):
  """`conv_defs` with group norm wherever it names batch norm (its defaults and
  its rows): each normalized layer gets `<layer>/GroupNorm/beta` and `gamma`
  instead of batch norm's four variables. Batch norm's own defaults (center,
  scale) are dropped; group norm centers and scales by default."""

  def swap(params):
    return {k: slim.group_norm if v is slim.batch_norm else v for k, v in params.items()}

  defaults = {ops: swap(params) for ops, params in (conv_defs.get('defaults') or {}).items()
              if slim.batch_norm not in ops}
  defaults[(slim.group_norm,)] = {'groups': groups}
  spec = [row._replace(params=swap(row.params)) for row in conv_defs['spec']]
  return dict(conv_defs, defaults=defaults, spec=spec)


@scopes.add_arg_scope
def mobilenet_base(inputs, conv_defs, multiplier=1.0, final_endpoint=None, output_stride=None,
                   use_explicit_padding=False, scope=None, is_training=False,
                   use_groupnorm=False):
  """Builds `conv_defs` on `inputs` up to `final_endpoint` ('layer_<i>').

  Args:
    inputs: [batch, height, width, channels].
    conv_defs: the table (see the module's docstring).
    multiplier: scales every op's depth (must be positive).
    final_endpoint: the last end point to build; None builds all.
    output_stride: the largest ratio of input to output size; later strides
      become atrous rates.
    use_explicit_padding: pad by hand and convolve 'VALID'.
    scope: variable scope.
    is_training: batch norm's and dropout's mode; None leaves it to the
      arg_scope in force.
    use_groupnorm: normalize with group norm instead of batch norm
      (`with_group_norm`); it has no moving statistics, so `is_training`
      only reaches dropout.

  Returns:
    (net, end_points).
  """
  if multiplier <= 0:
    raise ValueError('multiplier must be positive, got %r' % multiplier)
  if output_stride is not None and (output_stride <= 0 or
                                    (output_stride > 1 and output_stride % 2)):
    raise ValueError('output_stride must be None, 1 or a positive even number, got %r'
                     % output_stride)
  if use_groupnorm:
    conv_defs = with_group_norm(conv_defs)
  spec = conv_defs['spec']
  names = ['layer_%d' % (i + 1) for i in range(len(spec))]
  if final_endpoint is not None and final_endpoint not in names:
    raise ValueError('unknown final_endpoint %r; valid: layer_1 ... layer_%d'
                     % (final_endpoint, len(spec)))
  with contextlib.ExitStack() as stack:
    stack.enter_context(tf.compat.v1.variable_scope(scope, default_name='Mobilenet'))
    stack.enter_context(_defaults_scope(conv_defs.get('defaults')))
    if is_training is not None:
      stack.enter_context(scopes.arg_scope([slim.batch_norm, slim.dropout],
                                           is_training=is_training))
    net, end_points, counts = inputs, {}, {}
    current_stride, rate = 1, 1
    for end_point, opdef in zip(names, spec, strict=True):
      params = dict(opdef.params)
      opdef.multiplier_func(params, multiplier)
      stride = params.get('stride', 1)
      if output_stride is not None and current_stride == output_stride:
        layer_stride, layer_rate = 1, rate
        rate *= stride
      else:
        layer_stride, layer_rate = stride, 1
        current_stride *= stride
      params['stride'] = layer_stride
      if layer_rate > 1 and tuple(params.get('kernel_size', [])) != (1, 1):
        params['rate'] = layer_rate
      if use_explicit_padding:
        if 'kernel_size' in params:
          net = conv_blocks.fixed_padding(net, params['kernel_size'], layer_rate)
        else:
          params['use_explicit_padding'] = True
      inner = {}
      if getattr(opdef.op, 'func', opdef.op) is conv_blocks.expanded_conv:
        params['endpoints'] = inner
      params.setdefault('scope', _default_name(opdef.op, counts))
      net = opdef.op(net, **params)
      end_points[end_point] = net
      end_points.update({'%s/%s' % (end_point, k): v for k, v in inner.items()})
      if end_point == final_endpoint:
        break
  return net, end_points


def global_pool(input_tensor, pool_op=tf.nn.avg_pool2d):
  """Pools the whole spatial map to 1x1 (a dynamic kernel when its size is unknown)."""
  shape = input_tensor.shape.as_list()
  if shape[1] is None or shape[2] is None:
    kernel = tf.stack([1, tf.shape(input_tensor)[1], tf.shape(input_tensor)[2], 1])
  else:
    kernel = [1, shape[1], shape[2], 1]
  output = pool_op(input_tensor, ksize=kernel, strides=[1, 1, 1, 1], padding='VALID')
  output.set_shape([None, 1, 1, None])
  return output


@scopes.add_arg_scope
def mobilenet(inputs, num_classes=1001, prediction_fn=slim.softmax, reuse=None,
              scope='Mobilenet', base_only=False, use_reduce_mean_for_pooling=False,
              pool_op=tf.nn.avg_pool2d, **mobilenet_args):
  """A MobileNet classifier: the base, a global pool, dropout and 1x1 logits.

  Args:
    inputs: [batch, height, width, 3].
    num_classes: classes of the logits; 0 or None returns the pooled features.
    prediction_fn: turns logits into `end_points['Predictions']`.
    reuse: reuse the variables of an earlier call.
    scope: variable scope.
    base_only: return the base's output.
    use_reduce_mean_for_pooling: pool with a mean instead of `pool_op`.
    pool_op: the pooling of the whole map.
    **mobilenet_args: for `mobilenet_base` (conv_defs, multiplier, is_training,
      use_groupnorm, ...).

  Returns:
    (logits, end_points).
  """
  is_training = mobilenet_args.get('is_training', False)
  if len(inputs.shape) != 4:
    raise ValueError('MobileNet takes [batch, height, width, channels] inputs, got rank %d'
                     % len(inputs.shape))
  with tf.compat.v1.variable_scope(scope, 'Mobilenet', reuse=reuse) as sc:
    inputs = tf.identity(inputs, 'input')
    net, end_points = mobilenet_base(inputs, scope=sc, **mobilenet_args)
    if base_only:
      return net, end_points
    net = tf.identity(net, name='embedding')
    with tf.compat.v1.variable_scope('Logits'):
      if use_reduce_mean_for_pooling:
        net = tf.reduce_mean(net, [1, 2], keepdims=True, name='global_pool')
      else:
        net = global_pool(net, pool_op)
      end_points['global_pool'] = net
      if not num_classes:
        return net, end_points
      net = slim.dropout(net, scope='Dropout', is_training=is_training)
      logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                           biases_initializer=tf.zeros_initializer(), scope='Conv2d_1c_1x1')
      logits = tf.identity(tf.squeeze(logits, [1, 2]), name='output')
    end_points['Logits'] = logits
    if prediction_fn:
      end_points['Predictions'] = prediction_fn(logits, 'Predictions')
  return logits, end_points


def training_scope(is_training=True, weight_decay=0.00004, stddev=0.09, dropout_keep_prob=0.8,
                   bn_decay=0.997):
  """TF-Slim's MobileNet training defaults: truncated-normal weights (Xavier when
  stddev < 0), batch norm, L2 decay on the convolutions but not the depthwise
  ones, dropout; `is_training=None` leaves the mode to the net.

  Returns:
    A `scopes.Scope`.
  """
  initializer = (slim.initializers.xavier_initializer() if stddev < 0
                 else scopes.trunc_normal(stddev))
  mode = {} if is_training is None else {'is_training': is_training}
  dropout = dict(mode, keep_prob=dropout_keep_prob) if dropout_keep_prob is not None else mode
  return scopes.merge(
      scopes.scope_for([slim.conv2d, slim.fully_connected, slim.separable_conv2d],
                       weights_initializer=initializer, normalizer_fn=slim.batch_norm),
      scopes.scope_for([mobilenet_base, mobilenet], **mode),
      scopes.scope_for([slim.batch_norm], decay=bn_decay, **mode),
      scopes.scope_for([slim.dropout], **dropout),
      scopes.scope_for([slim.conv2d], weights_regularizer=scopes.l2_regularizer(weight_decay)),
      scopes.scope_for([slim.separable_conv2d], weights_regularizer=None))
