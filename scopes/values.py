"""Scope dicts as values: name their ops, describe, compare and merge them.

A scope dict maps an op key (TF-Slim's `str(function)`, or `str(class)` for a
Keras layer class) to the defaults for that op. Those keys and the callables
among the defaults (initializers, regularizers, activations) print as memory
addresses; `describe` renders them by name with their parameters, as plain
data that YAML can hold, so two scopes can be read, diffed and saved.
"""

import functools
import inspect
import numbers

import yaml

UNSET = '<unset>'
_OP_NAMES = {}  # op key -> readable name; filled lazily from known modules


def _known_op_names():
  if _OP_NAMES:
    return _OP_NAMES
  import keras
  import tf_keras
  import tf_slim
  candidates = {}
  for attr, value in vars(tf_slim).items():
    if callable(value) and hasattr(value, '_key_op'):
      candidates.setdefault(value._key_op, []).append('slim.' + attr)
  for prefix, module in (('keras.layers.', keras.layers),
                         ('tf_keras.layers.', tf_keras.layers)):
    for attr in dir(module):
      value = getattr(module, attr)
      if inspect.isclass(value):
        candidates.setdefault(str(value), []).append(prefix + attr)
  for key, names in candidates.items():
    _OP_NAMES[key] = min(names, key=lambda n: (len(n), n))  # conv2d, not convolution2d
  return _OP_NAMES


def op_name(key):
  """A readable name for an op key: 'slim.conv2d', 'keras.layers.Dense', ..."""
  name = _known_op_names().get(key)
  if name:
    return name
  # '<function my_op at 0x...>' or "<class 'pkg.mod.MyLayer'>"
  if key.startswith('<function '):
    return key.split()[1]
  if key.startswith("<class '"):
    return key[len("<class '"):-2]
  return key


def _call(name, params):
  args = ', '.join('%s=%s' % (k, _scalar_repr(v)) for k, v in params.items())
  return '%s(%s)' % (name, args)


def _scalar_repr(value):
  value = render(value)
  return repr(value) if isinstance(value, str) else str(value)


def _closure_params(fn):
  """The simple values a closure captured: a regularizer's scale, ..."""
  if not fn.__closure__:
    return {}
  params = {}
  for name, cell in zip(fn.__code__.co_freevars, fn.__closure__, strict=True):
    try:
      value = cell.cell_contents
    except ValueError:
      continue
    value = getattr(value, 'name', value) if _is_dtype(value) else value
    if isinstance(value, (numbers.Number, str, bool)):
      params[name] = value
  return params


def _is_dtype(value):
  return type(value).__name__ == 'DType'


def _function_name(fn):
  key_name = _known_op_names().get(getattr(fn, '_key_op', None))
  if key_name:
    return key_name
  qualname = getattr(fn, '__qualname__', getattr(fn, '__name__', repr(fn)))
  # A closure made by a factory reads best under the factory's name:
  # 'l2_regularizer.<locals>.l2' -> 'l2_regularizer'.
  return qualname.split('.<locals>.')[0]


def render(value):
  """A plain-data, readable form of a default value."""
  if value is None or isinstance(value, (bool, numbers.Number, str)):
    return value.item() if hasattr(value, 'item') else value
  if _is_dtype(value):
    return value.name
  if isinstance(value, dict):
    return {str(k): render(v) for k, v in value.items()}
  if isinstance(value, (list, tuple, set, frozenset)):
    return [render(v) for v in value]
  if inspect.isclass(value):
    return op_name(str(value))
  if isinstance(value, functools.partial):
    params = {'arg%d' % i: v for i, v in enumerate(value.args)}
    params.update(value.keywords)
    return _call(_function_name(value.func), params)
  if inspect.isfunction(value) or inspect.isbuiltin(value) or hasattr(
      value, '_key_op'):
    name = _function_name(value)
    # Only a closure made by a factory has parameters worth showing; the
    # closures of decorators (TF's dispatch wrappers, ...) do not.
    is_made = '<locals>' in getattr(value, '__qualname__', '')
    params = _closure_params(value) if is_made else {}
    return _call(name, params) if params else name
  if hasattr(value, 'get_config'):
    try:
      return _call(type(value).__name__, value.get_config())
    except (NotImplementedError, TypeError):
      pass
  return repr(value)


def describe(scope):
  """`{op name: {argument: readable default}}`, sorted, as plain data."""
  return {op_name(key): {arg: render(v) for arg, v in sorted(args.items())}
          for key, args in sorted(scope.items(), key=lambda kv: op_name(kv[0]))}


def to_yaml(scope):
  """The description of a scope as YAML text."""
  return yaml.safe_dump(describe(scope), sort_keys=False, width=100)


def diff(a, b):
  """What differs between two scopes: `{op: {argument: [in a, in b]}}`.

  Values are compared by their description, so two `l2_regularizer(4e-05)`
  made separately are equal. A default that one scope lacks shows as '<unset>'.
  """
  da, db = describe(a), describe(b)
  result = {}
  for op in sorted(set(da) | set(db)):
    args_a, args_b = da.get(op, {}), db.get(op, {})
    changed = {arg: [args_a.get(arg, UNSET), args_b.get(arg, UNSET)]
               for arg in sorted(set(args_a) | set(args_b))
               if args_a.get(arg, UNSET) != args_b.get(arg, UNSET)}
    if changed:
      result[op] = changed
  return result


class Scope(dict):
  """A scope dict that prints readably. Still a dict: TF-Slim takes it as is.

  `origin`, when set, names where the scope came from (the factory call that
  made it); `python -m nets explain` shows it as the source of a default.
  """

  origin = None
  adds_to_current = False  # scopes.arg_scope enters it on top of the scope in force

  def __repr__(self):
    return 'Scope(\n%s)' % to_yaml(self)

  __str__ = __repr__

  def describe(self):
    return describe(self)

  def diff(self, other):
    return diff(self, other)


def merge(*scope_dicts):
  """One scope from several; later ones override earlier ones per argument.

  `merge(a, b)` is the scope in force after entering `a` and then, inside it,
  `arg_scope(ops, **defaults)` for each op of `b`. (Re-entering a scope dict
  replaces the scope in force, as in TF-Slim, so nesting two dicts does not
  merge them: this does.)
  """
  merged = Scope()
  for scope in scope_dicts:
    for key, args in scope.items():
      merged[key] = dict(merged.get(key, {}), **args)
  return merged
