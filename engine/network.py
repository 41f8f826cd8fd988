"""Network: a TF-Slim style net as a TF2 layer.

The net is a plain function of slim ops that creates its variables with
`tf.compat.v1.get_variable`. Inside `call`, decorated with
`track_tf1_style_variables`, those variables become this layer's own: they
keep TF-Slim's names (so checkpoints match), weight decay lands in
`self.losses`, batch-norm moving averages update inside `tf.function`, and the
layer works under any `tf.distribute` strategy.
"""

import tf_keras
from tf_keras.api._v1.keras.utils import track_tf1_style_variables

import scopes
from nets import registry


class Network(tf_keras.layers.Layer):
  """Calls `network_fn(images, is_training=training, **network_kwargs)` under
  `arg_scope` and returns `(logits, end_points)`."""

  def __init__(self, network_fn, arg_scope=None, network_kwargs=None, **kwargs):
    super().__init__(**kwargs)
    scope = dict(arg_scope or {})
    network_kwargs = dict(network_kwargs or {})
    # Kept in closures: Keras would otherwise wrap the dicts for tracking.
    self._scope = lambda: scope
    self._network_kwargs = lambda: network_kwargs
    self._network_fn = network_fn

  @classmethod
  def from_registry(cls, model_name, num_classes=None, scope_params=None,
                    **network_kwargs):
    """The registered model `model_name` with its own arg_scope.

    Args:
      model_name: a name of `nets.registry.list_models()`.
      num_classes: classes of the classifier; None keeps the official
        checkpoint's count, 0 returns the pre-logits features.
      scope_params: parameters of the model's `*_arg_scope()` function
        (`weight_decay`, `batch_norm_decay`, ...), checked by name.
      **network_kwargs: keyword arguments of the network function.
    """
    spec = registry.get(model_name)
    kwargs = dict(spec.network_kwargs)
    kwargs['num_classes'] = spec.num_classes if num_classes is None else num_classes
    kwargs.update(network_kwargs)
    return cls(spec.network_fn, spec.arg_scope(**(scope_params or {})),
               kwargs, name=model_name)

  @track_tf1_style_variables
  def call(self, images, training=False):
    with scopes.arg_scope(self._scope()):
      return self._network_fn(images, is_training=bool(training),
                              **self._network_kwargs())
