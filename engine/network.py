"""Network: a TF-Slim style net as a TF2 layer.

The net is a plain function of slim ops that creates its variables with
`tf.compat.v1.get_variable`. Inside `call`, decorated with
`track_tf1_style_variables`, those variables become this layer's own: they
keep TF-Slim's names (so checkpoints match), weight decay lands in
`self.losses`, batch-norm moving averages update inside `tf.function`, and the
layer works under any `tf.distribute` strategy.
"""

import tensorflow as tf
import tf_keras
from tf_keras.api._v1.keras.utils import track_tf1_style_variables
from tf_keras.src.mixed_precision import autocast_variable

import scopes
from nets import registry


COMPUTE_DTYPES = ('float32', 'bfloat16', 'float16')


def _float32_weights(next_getter, name, *args, **kwargs):
  """A custom getter for mixed precision: every variable is stored in float32;
  weights are read in the compute dtype (Keras' AutoCastVariable), while batch
  norm's parameters and statistics stay float32, as fused batch norm wants."""
  requested = kwargs.get('dtype')
  if requested not in (tf.bfloat16, tf.float16):
    return next_getter(name, *args, **kwargs)
  kwargs['dtype'] = tf.float32
  variable = next_getter(name, *args, **kwargs)
  if kwargs.get('trainable', True) and not name.endswith(('/beta', '/gamma')):
    return autocast_variable.create_autocast_variable(variable)
  return variable


class Network(tf_keras.layers.Layer):
  """Calls `network_fn(images, is_training=training, **network_kwargs)` under
  `arg_scope` and returns `(logits, end_points)`.

  With `compute_dtype` 'bfloat16' or 'float16' the net computes in that dtype
  on float32 variables (mixed precision); logits come back as float32.
  """

  def __init__(self, network_fn, arg_scope=None, network_kwargs=None, compute_dtype='float32',
               **kwargs):
    super().__init__(**kwargs)
    if compute_dtype not in COMPUTE_DTYPES:
      raise ValueError('compute_dtype %r is not one of %s' % (compute_dtype,
                                                               ', '.join(COMPUTE_DTYPES)))
    self.compute_dtype_name = compute_dtype
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
    kwargs = dict(network_kwargs,
                  num_classes=spec.num_classes if num_classes is None else num_classes)
    return cls(spec.network_fn, spec.arg_scope(**(scope_params or {})),
               kwargs, name=model_name)

  @track_tf1_style_variables
  def call(self, images, training=False):
    return self.forward(images, training)

  def forward(self, images, training=False):
    """The net itself, untracked: in a TF1 graph it builds TF-Slim's graph, with
    variables in the graph's collections (what a frozen GraphDef is made from)."""
    with scopes.arg_scope(self._scope()):
      if self.compute_dtype_name == 'float32':
        return self._network_fn(images, is_training=bool(training), **self._network_kwargs())
      dtype = tf.as_dtype(self.compute_dtype_name)
      with tf.compat.v1.variable_scope(tf.compat.v1.get_variable_scope(),
                                       custom_getter=_float32_weights), \
          autocast_variable.enable_auto_cast_variables(dtype):
        logits, end_points = self._network_fn(tf.cast(images, dtype), is_training=bool(training),
                                              **self._network_kwargs())
      return tf.cast(logits, tf.float32), end_points
