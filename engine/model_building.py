"""The registered net as a tf_keras layer under its arg_scope: the one way train.py,
eval.py, export.py, predict.py and bench.py build a model from a config."""

from engine.network import Network


def scope_params(config):
  """The model's arg_scope parameters: the recipe's `scope:` and --weight_decay."""
  params = dict(config['scope'])
  if config['weight_decay'] is not None:
    params['weight_decay'] = config['weight_decay']
  return params


def build_network(spec, config, num_classes):
  """The registered net as a tf_keras layer, its arg_scope checked by name."""
  precision = config['mixed_precision']
  return Network(spec.network_fn, spec.arg_scope(**scope_params(config)),
                 {'num_classes': num_classes}, name=spec.name,
                 compute_dtype='float32' if precision in (None, 'none') else precision)
