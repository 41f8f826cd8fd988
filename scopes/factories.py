"""Shared scope factories: the building blocks of the nets' `*_arg_scope()`.

Every factory returns a fresh `Scope` built from its arguments alone: unlike
capturing `with arg_scope(...) as sc`, the result does not depend on the
scopes the caller happens to be inside.
"""

import inspect

import tensorflow as tf
import tf_slim as slim

from scopes import stack
from scopes import values

UPDATE_OPS = tf.compat.v1.GraphKeys.UPDATE_OPS


def _accepted_arguments(op):
  target = inspect.unwrap(op)
  params = inspect.signature(target).parameters.values()
  if any(p.kind == p.VAR_KEYWORD for p in params):
    return None  # takes anything
  return {p.name for p in params}


def scope_for(ops, **defaults):
  """`{op: defaults}` for each op in `ops`, checked against its signature."""
  scope = values.Scope()
  for op in ops:
    stack._check_op(op)
    accepted = _accepted_arguments(op)
    unknown = sorted(set(defaults) - accepted) if accepted is not None else []
    if unknown:
      raise ValueError('%s takes no argument %s; valid ones: %s' % (
          values.op_name(stack.arg_scope_func_key(op)), ', '.join(unknown),
          ', '.join(sorted(accepted))))
    scope[stack.arg_scope_func_key(op)] = dict(defaults)
  return scope


def trunc_normal(stddev):
  """Truncated normal weights around zero: the initializer TF-Slim's nets
  write as `trunc_normal(stddev)`."""
  return tf.compat.v1.truncated_normal_initializer(0.0, stddev)


def l2_regularizer(weight_decay):
  """TF-Slim's L2 regularizer, or None when the decay is zero (no loss)."""
  if not weight_decay:
    return None
  return slim.l2_regularizer(float(weight_decay))


def batch_norm_params(decay=0.997, epsilon=1e-5, scale=True,
                      updates_collections=UPDATE_OPS, fused=None,
                      variables_collections=None):
  """The `normalizer_params` TF-Slim's nets hand to `slim.batch_norm`."""
  params = {
      'decay': decay,
      'epsilon': epsilon,
      'scale': scale,
      'updates_collections': updates_collections,
      'fused': fused,
  }
  if variables_collections is not None:
    params['variables_collections'] = variables_collections
  return params


def layer_scope(weight_decay=0.0,
                weights_initializer=None,
                biases_initializer=None,
                activation_fn=tf.nn.relu,
                use_batch_norm=False,
                batch_norm_decay=0.997,
                batch_norm_epsilon=1e-5,
                batch_norm_scale=True,
                batch_norm_updates_collections=UPDATE_OPS,
                batch_norm_fused=None,
                batch_norm_variables_collections=None,
                batch_norm_defaults=None,
                layers=(slim.conv2d,),
                regularize_also=(),
                conv_padding=None,
                pool_padding=None):
  """Defaults for a family of slim layers: weights, activation, batch norm.

  Args:
    weight_decay: L2 weight decay for `layers` and `regularize_also`.
    weights_initializer, biases_initializer: for `layers`; None keeps the
      op's own default.
    activation_fn: for `layers`.
    use_batch_norm: give `layers` `slim.batch_norm` as their normalizer, with
      the `batch_norm_*` parameters, which also become the defaults of
      `slim.batch_norm` itself (nets that call it directly agree).
    batch_norm_defaults: whether `slim.batch_norm` gets those parameters;
      None: when `use_batch_norm`. True serves nets that call batch norm
      themselves even when their convolutions have none (ResNet v2).
    layers: the slim ops that get all of the above (conv2d, fully_connected,
      separable_conv2d, ...).
    regularize_also: ops that only get the weight decay.
    conv_padding: padding for those of `layers` that take one.
    pool_padding: padding for `slim.max_pool2d`.

  Returns:
    A `Scope`.
  """
  regularizer = l2_regularizer(weight_decay)
  layer_defaults = {'weights_regularizer': regularizer,
                    'activation_fn': activation_fn}
  if weights_initializer is not None:
    layer_defaults['weights_initializer'] = weights_initializer
  if biases_initializer is not None:
    layer_defaults['biases_initializer'] = biases_initializer
  parts = []
  params = batch_norm_params(
      batch_norm_decay, batch_norm_epsilon, batch_norm_scale,
      batch_norm_updates_collections, batch_norm_fused,
      batch_norm_variables_collections)
  if use_batch_norm:
    layer_defaults.update(normalizer_fn=slim.batch_norm,
                          normalizer_params=params)
  else:
    layer_defaults.update(normalizer_fn=None)
  if use_batch_norm if batch_norm_defaults is None else batch_norm_defaults:
    parts.append(scope_for([slim.batch_norm], **params))
  parts.append(scope_for(regularize_also, weights_regularizer=regularizer))
  parts.append(scope_for(layers, **layer_defaults))
  if conv_padding is not None:
    padded = [op for op in layers if 'padding' in (_accepted_arguments(op) or ())]
    parts.append(scope_for(padded, padding=conv_padding))
  if pool_padding is not None:
    parts.append(scope_for([slim.max_pool2d], padding=pool_padding))
  return values.merge(*parts)
