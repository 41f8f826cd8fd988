"""The nets' hyperparameters, with the interface of TF-Slim's `HParams`.

TF-Slim's NASNet users write `config = nasnet.cifar_config()`,
`config.set_hparam('use_aux_head', 0)`, read `config.num_cells` and call
`config.values()`. `Config` keeps that interface without tf.contrib: the fields
are attributes, a field keeps its type (an int widens to a float, nothing else
changes type), and an unknown field is one clear error that lists the valid
ones.
"""

import numbers


class UnknownFieldError(KeyError, ValueError):
  """A field the config does not have (a KeyError as in HParams, and a ValueError)."""

  def __str__(self):
    return str(self.args[0])  # KeyError would print the message quoted


class Config:
  """Named hyperparameters: `Config(base=None, **fields)`.

  `base` (a Config or a dict) gives the starting fields; `fields` set or add to
  them, so `Config(cifar_config(), num_cells=6)` is a changed copy.
  """

  def __init__(self, base=None, **fields):
    start = base.values() if isinstance(base, Config) else dict(base or {})
    for name, value in start.items():
      self.add_hparam(name, value)
    for name, value in fields.items():
      if name in self:
        self.set_hparam(name, value)
      else:
        self.add_hparam(name, value)

  def add_hparam(self, name, value):
    """Adds a new field; an existing one is refused (use `set_hparam`)."""
    if name in self.__dict__:
      raise ValueError('config field %r exists already; change it with set_hparam' % name)
    if name.startswith('_') or hasattr(type(self), name):
      raise ValueError('%r cannot be a config field: the name is reserved' % name)
    object.__setattr__(self, name, value)

  def set_hparam(self, name, value):
    """Sets an existing field to `value` of the same type (an int may set a float)."""
    if name not in self.__dict__:
      raise UnknownFieldError(self._unknown(name))
    object.__setattr__(self, name, _same_type(name, self.__dict__[name], value))

  def del_hparam(self, name):
    if name not in self.__dict__:
      raise UnknownFieldError(self._unknown(name))
    del self.__dict__[name]

  def override_from_dict(self, values):
    """Sets each field of `values`; returns the config."""
    for name, value in values.items():
      self.set_hparam(name, value)
    return self

  def values(self):
    """The fields as a new dict."""
    return dict(self.__dict__)

  def get(self, name, default=None):
    return self.__dict__.get(name, default)

  def __contains__(self, name):
    return name in self.__dict__

  def __getattr__(self, name):  # called only for names that are not fields
    if name.startswith('__'):
      raise AttributeError(name)
    raise AttributeError(self._unknown(name))

  def __setattr__(self, name, value):
    self.set_hparam(name, value)

  def __eq__(self, other):
    return isinstance(other, Config) and self.values() == other.values()

  def __repr__(self):
    return 'Config(%s)' % ', '.join('%s=%r' % item for item in sorted(self.values().items()))

  def _unknown(self, name):
    return 'unknown config field %r; valid fields: %s' % (name, ', '.join(sorted(self.__dict__)))


def _same_type(name, old, value):
  """HParams' rule: the value keeps the field's type; an int may widen to a float."""
  if old is None or isinstance(value, type(old)):
    return value
  is_number = isinstance(value, numbers.Number) and not isinstance(value, bool)
  if isinstance(old, float) and is_number and isinstance(value, numbers.Real):
    return float(value)
  if type(old) is int and is_number and isinstance(value, numbers.Integral):
    return int(value)  # a numpy integer
  raise ValueError('config field %r is a %s; %r is not' % (name, type(old).__name__, value))
