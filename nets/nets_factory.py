"""TF-Slim's `nets.nets_factory`, as a view of `nets.registry`.

    from nets import nets_factory
    network_fn = nets_factory.get_network_fn('inception_v1', num_classes=10)
    logits, end_points = network_fn(images)   # images of network_fn.default_image_size

`networks_map` and `arg_scopes_map` are read-only mappings over the registry's
names: a model registered there appears here, with no second table to keep.
"""

import collections.abc

from nets import registry


class _RegistryView(collections.abc.Mapping):
  """name -> one field of the name's `ModelSpec`, for every registered model."""

  def __init__(self, field):
    self._field = field

  def __getitem__(self, name):
    if name not in self:
      raise KeyError(name)
    return getattr(registry.get(name), self._field)

  def __contains__(self, name):
    return name in registry.list_models()

  def __iter__(self):
    return iter(registry.list_models())

  def __len__(self):
    return len(registry.list_models())

  def __repr__(self):
    return '{%s}' % ', '.join('%r: %s' % (name, getattr(value, '__name__', value))
                              for name, value in self.items())


networks_map = _RegistryView('network_fn')
arg_scopes_map = _RegistryView('arg_scope_fn')

# One implementation for both imports: TF-Slim's signature and behaviour, with
# the registry's one-line error (a ValueError) for an unknown name.
get_network_fn = registry.get_network_fn
