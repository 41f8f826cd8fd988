"""arg_scope: TF-Slim's scoped defaults, on TF-Slim's own stack.

`arg_scope`, `add_arg_scope` and `current_arg_scope` keep TF-Slim's semantics
exactly because they are TF-Slim's: one stack, so `slim.conv2d` under
`scopes.arg_scope` and our functions under `tf_slim.arg_scope` see the same
defaults. What we add: Keras layer classes may stand in the list of ops (see
`layer_classes`), and an op that cannot take defaults gets an error that names
it and says how to fix it.
"""

import contextlib
import os
import sys

from tf_slim.ops import arg_scope as _slim_arg_scope

from scopes import layer_classes

# Where each scope dict now on the stack was entered, by id: what
# `python -m nets explain` prints as the source of a default.
_ORIGINS = {}

current_arg_scope = _slim_arg_scope.current_arg_scope
has_arg_scope = _slim_arg_scope.has_arg_scope
arg_scoped_arguments = _slim_arg_scope.arg_scoped_arguments


def arg_scope_func_key(op):
  """The key under which a scope dict stores the defaults of `op`."""
  if layer_classes.is_layer_class(op):
    return layer_classes.key(op)
  return _slim_arg_scope.arg_scope_func_key(op)


def add_arg_scope(op):
  """Decorator: lets `op` (a function or a Keras layer class) take defaults."""
  if layer_classes.is_layer_class(op):
    return layer_classes.arm(op)
  if not callable(op):
    raise TypeError('add_arg_scope takes a function or a Keras layer class, '
                    'not %r.' % (op,))
  return _slim_arg_scope.add_arg_scope(op)


def _check_op(op):
  if layer_classes.is_layer_class(op):
    layer_classes.arm(op)
  elif not has_arg_scope(op):
    name = getattr(op, '__name__', repr(op))
    raise ValueError(
        'arg_scope: %s is not decorated with @add_arg_scope, so it cannot take '
        'scoped defaults; decorate it with scopes.add_arg_scope, or pass a '
        'tf_slim op (slim.conv2d, ...) or a Keras layer class.' % name)


@contextlib.contextmanager
def arg_scope(list_ops_or_scope, **kwargs):
  """Sets defaults for ops within the block, as `tf_slim.arg_scope` does.

  Args:
    list_ops_or_scope: a list or tuple of ops (functions decorated with
      `add_arg_scope`, or Keras layer classes), or a scope dict captured
      earlier with `with arg_scope(...) as sc` or returned by a factory. A
      scope dict replaces the one in force, as in TF-Slim, unless it is a
      `Scope` with `adds_to_current` (`quantize_scope()`), which adds to it.
    **kwargs: the defaults; none may be given with a scope dict.

  Yields:
    The scope now in force, a dict that can be re-entered later.
  """
  if isinstance(list_ops_or_scope, (list, tuple)):
    for op in list_ops_or_scope:
      _check_op(op)
  origin = getattr(list_ops_or_scope, 'origin', None) or _caller(sys._getframe(2))
  if getattr(list_ops_or_scope, 'adds_to_current', False):
    # A scope made to combine with any other (quantization): entered on top of the one in
    # force, where a plain scope dict would replace it.
    merged = {key: dict(args) for key, args in current_arg_scope().items()}
    for key, args in list_ops_or_scope.items():
      merged[key] = dict(merged.get(key, {}), **args)
    list_ops_or_scope = merged
  with _slim_arg_scope.arg_scope(list_ops_or_scope, **kwargs) as scope:
    _ORIGINS[id(scope)] = origin
    try:
      yield scope
    finally:
      _ORIGINS.pop(id(scope), None)


def origin(scope):
  """Where a scope dict now on the stack was entered: the `origin` of a
  factory's Scope, 'file.py:line (function)' of a `with arg_scope(...)`, or
  'tf_slim.arg_scope' for one entered through tf_slim directly."""
  return _ORIGINS.get(id(scope), 'tf_slim.arg_scope')


def stack():
  """The scope dicts now in force, outermost first (TF-Slim's own stack)."""
  return list(_slim_arg_scope._get_arg_stack())


def _caller(frame):
  path = frame.f_code.co_filename
  root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  if path.startswith(root + os.sep):
    path = os.path.relpath(path, root)
  return '%s:%d (%s)' % (path, frame.f_lineno, frame.f_code.co_name)
