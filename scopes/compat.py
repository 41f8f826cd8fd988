"""Makes tf_slim 1.1.0 work on TensorFlow 2.21 and under the TF2 variable shim.

Applied once, on import of `scopes` (and so of `nets`). Three fixes, one
speed-up, and deprecation warnings about tf_slim's internals kept out of the log:

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
4. Some convolutions are matrix products, and run faster written as one; same
   variables, same result. A kernel that covers its whole input (VGG's 7x7
   fc6 on a 7x7 map, the 1x1 logits on a pooled 1x1 map): 4-8x faster on
   oneDNN's CPU kernels (the convolution reorders the 400 MB fc6 kernel on
   every call). A 1x1, stride-1 convolution in bfloat16 or float16: oneDNN's
   filter gradient for it reaches 250-330 GFLOP/s on AMX, the product 480-1000
   (resnet_v1_50's bfloat16 training step about 1.2x faster).
"""

import importlib
import sys
import warnings

import tensorflow as tf
from tensorflow.python.eager import context
from tensorflow.python.framework import ops
from tensorflow.python.keras.legacy_tf_layers import convolutional as legacy_convolutional
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


def _convolution_or_product(convolution, layer):
  """`convolution(inputs, kernel)`, as a matrix product where it is one (fix 4)."""

  def convolve(inputs, kernel):
    if layer.data_format != 'channels_last' or inputs.shape.rank != 4:
      return convolution(inputs, kernel)
    depth, outputs = kernel.shape[2], kernel.shape[3]
    if _covers_whole_map(layer, inputs.shape, kernel.shape):
      size, shape = inputs.shape[1] * inputs.shape[2] * depth, [-1, 1, 1, outputs]
    elif _pointwise_in_half_precision(layer, inputs.dtype, kernel.shape):
      size, shape = depth, tf.concat([tf.shape(inputs)[:3], [outputs]], 0)
    else:
      return convolution(inputs, kernel)
    product = tf.matmul(tf.reshape(inputs, [-1, size]), tf.reshape(kernel, [size, outputs]))
    return tf.reshape(product, shape)

  return convolve


def _covers_whole_map(layer, input_shape, kernel_shape):
  """True when the convolution has a single output position that sees every input
  position: a VALID kernel the size of the (static) map, or 1x1 on 1x1."""
  height, width = input_shape[1], input_shape[2]
  if height is None or width is None or [height, width] != list(kernel_shape[:2]):
    return False
  if height * width == 1:
    return True
  return layer.padding == 'valid' and list(layer.dilation_rate) == [1, 1]


def _pointwise_in_half_precision(layer, dtype, kernel_shape):
  """A 1x1, stride-1 convolution in bfloat16 or float16. (In float32 oneDNN's 1x1
  kernels match the product, and in inference they fuse the batch norm after them.)"""
  return (dtype in (tf.bfloat16, tf.float16) and list(kernel_shape[:2]) == [1, 1]
          and list(layer.strides) == [1, 1])


def _convolutions_as_products():
  conv2d = legacy_convolutional.Conv2D
  if getattr(conv2d.build, 'scopezoo_products', False):
    return
  build = conv2d.build

  def build_with_products(self, input_shape):
    build(self, input_shape)
    self._convolution_op = _convolution_or_product(self._convolution_op, self)

  build_with_products.scopezoo_products = True
  conv2d.build = build_with_products


def apply():
  """Applies the fixes; safe to call more than once."""
  _alias_legacy_tf_layers()
  _slim_layers._add_variable_to_collections = _add_variable_to_collections
  _fast_graph_mode_identity()
  _convolutions_as_products()
  # tf_slim's ops call the legacy layers in the way these warnings deprecate;
  # the user can do nothing about it, so we keep them out of the user's log.
  for message in ('`layer.apply` is deprecated', '`tf.layers.flatten` is deprecated',
                  '`layer.updates` will be removed'):
    warnings.filterwarnings('ignore', message=message, category=UserWarning)


apply()
