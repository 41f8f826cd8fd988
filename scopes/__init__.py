"""scopes: scoped defaults for slim ops and Keras layer classes.

    from scopes import arg_scope
    with arg_scope([slim.conv2d, keras.layers.Dense], activation_fn=...):
      ...

Importing this package also makes tf_slim work on TensorFlow 2.21 (`compat`) and
switches on the convolutions that run as matrix products (`matmul_convolutions`)
and the quantized builds of slim's layers inside a `quantize_scope` (`quantize`).
"""

from scopes import compat  # noqa: F401  (applies the tf_slim fixes on import)
from scopes import matmul_convolutions
from scopes import merges
from scopes import quantize
from scopes.stack import add_arg_scope
from scopes.stack import arg_scope
from scopes.stack import arg_scope_func_key
from scopes.stack import arg_scoped_arguments
from scopes.stack import current_arg_scope
from scopes.stack import has_arg_scope
from scopes.factories import batch_norm_params
from scopes.factories import l2_regularizer
from scopes.factories import layer_scope
from scopes.factories import scope_for
from scopes.factories import trunc_normal
from scopes.values import Scope
from scopes.values import describe
from scopes.values import diff
from scopes.values import merge
from scopes.values import op_name
from scopes.values import to_yaml
from scopes.quantize import quantize_scope

matmul_convolutions.apply()  # speed only: same variables, same results
quantize.apply()  # slim's layers build quantized inside a quantize_scope only

__all__ = [
    'add_arg_scope', 'arg_scope', 'arg_scope_func_key', 'arg_scoped_arguments',
    'batch_norm_params', 'current_arg_scope', 'describe', 'diff',
    'has_arg_scope', 'l2_regularizer', 'layer_scope', 'merge', 'merges', 'op_name',
    'quantize_scope', 'Scope', 'scope_for', 'to_yaml', 'trunc_normal',
]
