"""What a registered model is made of: parameters, multiply-adds, and each
layer call with the arguments it received and where each came from.

Everything is read off the model built in TF1 graph mode at batch 1.
"""

import collections
import contextlib
import inspect
import os
import sys

import numpy as np
import tensorflow as tf
from tf_slim.ops import arg_scope as _slim_arg_scope

import scopes
from nets import registry
from scopes import stack

LayerCall = collections.namedtuple(
    'LayerCall', ['op', 'scope', 'depth', 'written', 'scoped'])
LayerCall.__doc__ = """One call of an arg_scope'd op while a model was built.

op: the op's name ('slim.conv2d'); scope: the variable scope it was called in,
plus its `scope` argument; depth: how many arg_scope'd ops it runs inside
(a conv's batch norm is at depth 1); written: the arguments of the call itself
(positional ones as arg0, arg1, ... after the input); scoped: {argument:
(value, origin)} for the defaults arg_scope supplied, origin naming the scope.
"""


def build(name, num_classes=None, image_size=None, is_training=False):
  """A fresh graph holding the model at batch 1, under its arg_scope with the
  factory's own defaults. Returns (graph, logits)."""
  spec = registry.get(name)
  size = image_size or spec.default_image_size
  graph = tf.Graph()
  with graph.as_default():
    images = tf.compat.v1.placeholder(tf.float32, spec.input_shape(1, size), 'images')
    with scopes.arg_scope(spec.arg_scope()):
      logits, _ = spec.network_fn(
          images, num_classes=spec.num_classes if num_classes is None else num_classes,
          is_training=is_training)
  return graph, logits


def count_parameters(graph):
  """Trainable weights, as published parameter counts are given."""
  return int(sum(np.prod(v.shape.as_list()) for v in
                 graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)))


def _macs(op):
  if op.type in ('Conv2D', 'Conv3D'):
    kernel = op.inputs[1].shape.as_list()  # [kh, kw, (kd,) in, out]
    return np.prod(op.outputs[0].shape.as_list()) * np.prod(kernel[:-1])
  if op.type == 'DepthwiseConv2dNative':
    kernel = op.inputs[1].shape.as_list()  # [kh, kw, in, multiplier]
    return np.prod(op.outputs[0].shape.as_list()) * np.prod(kernel[:2])
  if op.type == 'MatMul':
    a = op.inputs[0].shape.as_list()
    inner = a[0] if op.get_attr('transpose_a') else a[1]
    return np.prod(op.outputs[0].shape.as_list()) * inner
  return 0


def count_multiply_adds(graph):
  """Multiply-adds of convolutions and matrix products for one image."""
  return int(sum(_macs(op) for op in graph.get_operations()))


def summary(name):
  """`{name, image_size, num_classes, parameters, multiply_adds}` of a model."""
  spec = registry.get(name)
  graph, _ = build(name)
  return {'name': name, 'image_size': spec.default_image_size,
          'num_classes': spec.num_classes,
          'parameters': count_parameters(graph),
          'multiply_adds': count_multiply_adds(graph)}


def _where_set(key, arg):
  """The origin of the stack level that set the value now in force."""
  levels = stack.stack()
  value = levels[-1][key][arg]
  source = levels[-1]
  for level in reversed(levels):
    if arg not in level.get(key, {}) or level[key][arg] is not value:
      break
    source = level
  return stack.origin(source)


def _called_by_tf_slim(frame):
  """True when the op's wrapper `frame` was called from inside tf_slim itself
  (conv2d delegating to convolution, variables made by a layer): plumbing,
  not a layer call of the net."""
  return os.sep + 'tf_slim' + os.sep in frame.f_back.f_code.co_filename


def _written(fn, args, kwargs):
  """The call's own arguments by name (positional ones named by signature)."""
  try:
    names = list(inspect.signature(fn).parameters)
  except (TypeError, ValueError):
    names = []
  written = {}
  for i, value in enumerate(args):
    written[names[i] if i < len(names) else 'arg%d' % i] = value
  written.update(kwargs)
  return written


@contextlib.contextmanager
def _tracing(calls):
  """Records each arg_scope'd call: every decorated op asks TF-Slim's
  `current_arg_scope()` for its defaults first, so that is where we listen."""
  original = _slim_arg_scope.current_arg_scope
  wrappers = set()  # code objects of the wrappers that ask for defaults

  def listening():
    frame = sys._getframe(1)
    names = frame.f_locals
    if 'func' in names:  # tf_slim's wrapper of a decorated function
      key = _slim_arg_scope.arg_scope_func_key(names['func'])
      fn = names['func']
      args = names.get('args', ())
    elif 'class_key' in names and frame.f_back.f_code.co_name == '__init__':
      key = names['class_key']  # a Keras layer class under arg_scope
      fn = frame.f_back.f_locals.get('original_init')
      args = (None,) + tuple(names.get('args', ()))  # self
    else:
      return original()
    scope = original()
    if _called_by_tf_slim(frame):
      return scope
    wrappers.add(frame.f_code)
    depth, outer = -1, frame
    while outer is not None:
      depth += outer.f_code in wrappers and not _called_by_tf_slim(outer)
      outer = outer.f_back
    written = _written(fn, args, names.get('kwargs', {}))
    if 'class_key' in names:
      written.pop('self', None)
    scoped = {arg: (value, _where_set(key, arg))
              for arg, value in scope.get(key, {}).items() if arg not in written}
    variable_scope = tf.compat.v1.get_variable_scope().name
    if written.get('scope'):
      variable_scope = '/'.join(filter(None, [variable_scope, str(written['scope'])]))
    calls.append(LayerCall(scopes.op_name(key), variable_scope, max(depth, 0),
                           written, scoped))
    return scope

  _slim_arg_scope.current_arg_scope = listening
  try:
    yield calls
  finally:
    _slim_arg_scope.current_arg_scope = original


def explain(name, num_classes=None, image_size=None, is_training=False):
  """Each arg_scope'd call made while building `name`, in order."""
  with _tracing([]) as calls:
    build(name, num_classes, image_size, is_training)
  return calls


def format_value(value):
  if isinstance(value, (tf.Tensor, tf.Variable)):
    return 'Tensor%s' % value.shape.as_list()
  rendered = scopes.values.render(value)
  return repr(rendered) if isinstance(rendered, str) and value is rendered else str(rendered)
