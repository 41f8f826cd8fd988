"""Makes tf_slim 1.1.0 work on TensorFlow 2.21 and under the TF2 variable shim.

Applied once, on import of `scopes` (and so of `nets`): three fixes, and
deprecation warnings about tf_slim's internals kept out of the log.

1. tf_slim's `batch_norm` goes through `tensorflow.python.layers.normalization`,
   which lazily imports `tf_keras.legacy_tf_layers`. tf-keras 2.21 ships that
   package as `tf_keras.src.legacy_tf_layers`; we register it under the old name.
2. `_add_variable_to_collections` checks `var not in collection`, which compares
   variables with `==`. Under `track_tf1_style_variables` inside a `tf.function`
   that comparison builds a symbolic tensor and fails; in plain eager there are
   no collections worth keeping. We compare by identity, and skip it in eager.
3. In TF1 graph mode the legacy layers put every global variable in a set for
   each weight they add, and hashing a variable asks
   `executing_eagerly_outside_functions`, which walks the context stack: a
   graph-mode build is quadratic, about a minute for NASNet-A Large. Hashing
   and `==` take a fast path where the answer is known without the walk (a
   plain graph is the default and nothing executes eagerly); elsewhere they
   are TensorFlow's own, so their results never change.

The speed rewrites of convolutions as matrix products are `scopes.matmul_convolutions`.
"""

import importlib
import sys
import warnings

import tensorflow as tf
from tensorflow.python.eager import context
from tensorflow.python.framework import ops
from tensorflow.python.ops import variables as tf_variables  # PartitionedVariable
import tf_slim  # noqa: F401  (imported so that the patch below has its target)
from tf_slim.layers import layers as _slim_layers

_LEGACY = 'tf_keras.legacy_tf_layers'
_LEGACY_SRC = 'tf_keras.src.legacy_tf_layers'
_LEGACY_MODULES = ('base', 'convolutional', 'core', 'normalization', 'pooling',
                   'variable_scope_shim', 'migration_utils')


def _alias_legacy_tf_layers():
  try:
    importlib.import_module(_LEGACY + '.normalization')
    return  # a tf-keras that still ships the old name: nothing to do
  except ImportError:
    pass
  sys.modules[_LEGACY] = importlib.import_module(_LEGACY_SRC)
  for name in _LEGACY_MODULES:
    sys.modules['%s.%s' % (_LEGACY, name)] = importlib.import_module(
        '%s.%s' % (_LEGACY_SRC, name))


def _add_variable_to_collections(variable, collections_set, collections_name):
  """tf_slim's helper, with identity instead of `==` for membership."""
  if tf.executing_eagerly():
    return  # TF2 eager has no graph collections to fill
  collections = _slim_layers.utils.get_variable_collections(
      collections_set, collections_name) or []
  variables = [variable]
  if isinstance(variable, tf_variables.PartitionedVariable):
    variables = list(variable)
  graph = tf.compat.v1.get_default_graph()
  for collection in collections:
    present = {id(v) for v in graph.get_collection(collection)}
    for var in variables:
      if id(var) not in present:
        graph.add_to_collection(collection, var)


def _in_plain_graph_mode():
  """True only where `executing_eagerly_outside_functions()` is surely False."""
  return not context.executing_eagerly() and not ops.get_default_graph().building_function


def _fast_graph_mode_identity():
  variable_class = tf_variables.Variable
  if getattr(variable_class.__hash__, 'scopezoo_fast_path', False):
    return
  tf_hash, tf_eq = variable_class.__hash__, variable_class.__eq__

  def __hash__(self):  # noqa: N807
    return id(self) if _in_plain_graph_mode() else tf_hash(self)

  def __eq__(self, other):  # noqa: N807
    return self is other if _in_plain_graph_mode() else tf_eq(self, other)

  __hash__.scopezoo_fast_path = True
  variable_class.__hash__, variable_class.__eq__ = __hash__, __eq__


def apply():
  """Applies the fixes; safe to call more than once."""
  _alias_legacy_tf_layers()
  _slim_layers._add_variable_to_collections = _add_variable_to_collections
  _fast_graph_mode_identity()
  # tf_slim's ops call the legacy layers in the way these warnings deprecate;
  # the user can do nothing about it, so we keep them out of the user's log.
  for message in ('`layer.apply` is deprecated', '`tf.layers.flatten` is deprecated',
                  '`layer.updates` will be removed'):
    warnings.filterwarnings('ignore', message=message, category=UserWarning)


apply()
