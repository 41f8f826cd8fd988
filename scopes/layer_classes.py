"""Keras layer classes under arg_scope.

TF-Slim's arg_scope only knows functions decorated with `add_arg_scope`. Keras
layers are classes configured in their constructors, so we "arm" a class once:
its constructor then merges the defaults that the current arg_scope holds for
exactly that class (not its subclasses, as with functions) under the keyword
arguments of the call. Outside any scope nothing is merged and the class
behaves as before. The class object itself is unchanged otherwise, so
`isinstance`, `get_config()` and saving work as usual; the defaults become
ordinary constructor arguments and so are part of the layer's config.
"""

import functools
import inspect

from tf_slim.ops import arg_scope as _slim_arg_scope

_ARMED_ATTR = '_scopes_armed_class'


def is_layer_class(obj):
  """True for Keras 3 and tf_keras layer classes."""
  if not inspect.isclass(obj):
    return False
  return any(base.__name__ == 'Layer' and base.__module__.split('.')[0] in
             ('keras', 'tf_keras') for base in obj.__mro__)


def key(cls):
  """The arg_scope key of a class; unique per class, subclasses included."""
  return str(cls)


def is_armed(cls):
  return cls.__dict__.get(_ARMED_ATTR, False)


def _positional_names(signature, args):
  """Names of the parameters that `args` fill positionally (self excluded)."""
  names = []
  params = list(signature.parameters.values())[1:]
  for param, _ in zip(params, args, strict=False):  # args may be fewer
    if param.kind == param.VAR_POSITIONAL:
      break
    names.append(param.name)
  return names


def arm(cls):
  """Makes `cls` take its defaults from arg_scope; returns `cls` itself."""
  if not is_layer_class(cls):
    raise TypeError('%r is not a Keras layer class; arg_scope takes functions '
                    'decorated with add_arg_scope or Keras layer classes.' %
                    (cls,))
  if is_armed(cls):
    return cls
  class_key = key(cls)
  original_init = cls.__init__
  original_new = cls.__new__
  signature = inspect.signature(original_init)

  def with_defaults(klass, args, kwargs):
    defaults = (_slim_arg_scope.current_arg_scope().get(class_key)
                if klass is cls else None)
    if not defaults:
      return kwargs
    merged = {k: v for k, v in defaults.items()
              if k not in _positional_names(signature, args)}
    merged.update(kwargs)
    return merged

  @functools.wraps(original_init)
  def __init__(self, *args, **kwargs):
    original_init(self, *args, **with_defaults(type(self), args, kwargs))

  __init__.__signature__ = signature
  cls.__init__ = __init__

  # Keras 3 records the constructor's arguments in `__new__` (its automatic
  # get_config), so the defaults must reach `__new__` as well.
  if original_new is not object.__new__:
    def __new__(klass, *args, **kwargs):
      return original_new(klass, *args, **with_defaults(klass, args, kwargs))
    cls.__new__ = staticmethod(__new__)

  setattr(cls, _ARMED_ATTR, True)
  _slim_arg_scope._DECORATED_OPS[class_key] = tuple(
      p.name for p in list(signature.parameters.values())[1:]
      if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
  return cls
