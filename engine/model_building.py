"""The registered net as a tf_keras layer under its arg_scope: the one way train.py,
eval.py, export.py, predict.py and bench.py build a model from a config."""

import inspect

import scopes
from engine import checkpoints
from engine.config import ConfigError
from engine.network import Network
from scopes import fake_quant, quantize


def scope_params(config):
  """The model's arg_scope parameters: the recipe's `scope:` and --weight_decay."""
  params = dict(config['scope'])
  if config['weight_decay'] is not None:
    params['weight_decay'] = config['weight_decay']
  return params


def _keep_prob(config, flag):
  value = config.get(flag)
  if value is not None and not 0 < value <= 1:
    raise ConfigError('--%s=%g: a keep probability is in (0, 1]' % (flag, value))
  return value


def network_kwargs(spec, config, num_classes, current_step=None, total_steps=None):
  """The network function's keyword arguments: the classes, --dropout_keep_prob, and for
  a net with drop path (NASNet, PNASNet: a `default_config` attribute) its config and
  `current_step`, the counter its drop path ramps over `total_steps` with (TF-Slim's
  global step; training passes the optimizer's)."""
  kwargs = {'num_classes': num_classes}
  dropout = _keep_prob(config, 'dropout_keep_prob')
  drop_path = _keep_prob(config, 'drop_path_keep_prob')
  default_config = getattr(spec.network_fn, 'default_config', None)
  if drop_path is not None and default_config is None:
    raise ConfigError('--drop_path_keep_prob: %s has no drop path; NASNet and PNASNet '
                      '(nasnet_*, pnasnet_*) have' % spec.name)
  if default_config is None:
    if dropout is not None:
      if 'dropout_keep_prob' not in inspect.signature(spec.network_fn).parameters:
        raise ConfigError('--dropout_keep_prob: %s takes no dropout_keep_prob (it has no '
                          'dropout of its own to set)' % spec.name)
      kwargs['dropout_keep_prob'] = dropout
    return kwargs
  if current_step is None:  # not training: no drop path, and the model's own config
    return kwargs
  net_config = default_config()
  if drop_path is not None:
    net_config.set_hparam('drop_path_keep_prob', drop_path)
  if dropout is not None:
    net_config.set_hparam('dense_dropout_keep_prob', dropout)
  if total_steps:
    net_config.set_hparam('total_training_steps', total_steps)
  return dict(kwargs, config=net_config, current_step=current_step)


def build_network(spec, config, num_classes, current_step=None, total_steps=None):
  """The registered net as a tf_keras layer, its arg_scope checked by name, merged with
  the quantization scope when the run quantizes (see `quantization`); training passes
  `current_step` and `total_steps` (see `network_kwargs`; the quantization delay
  counts `current_step` too)."""
  precision = config['mixed_precision']
  scope = spec.arg_scope(**scope_params(config))
  quantization_scope = quantization(spec, config, current_step)
  if quantization_scope is not None:  # after the net's own defaults: quantization is a scope
    scope = scopes.merge(scope, quantization_scope)
  return Network(spec.network_fn, scope,
                 network_kwargs(spec, config, num_classes, current_step, total_steps),
                 name=spec.name,
                 compute_dtype='float32' if precision in (None, 'none') else precision)


# The nets whose every layer builds quantized (tests/test_quantize.py builds them), by
# name prefix; and why the others are left out.
QUANTIZABLE = ('mobilenet_v1', 'mobilenet_v2', 'resnet_v1_', 'inception_v1', 'inception_v3',
               'lenet')
NOT_QUANTIZABLE = (
    ('inception_v2', 'its first layer is a separable convolution with a pointwise part, which '
     'the quantized layers do not build'),
    ('resnet_v2', 'its pre-activation batch norms follow no convolution to fold into'),
    ('mobilenet_v3', 'its hard-swish and squeeze-excite products are not fake-quantized'),
    ('nasnet', 'its cells use separable convolutions with a pointwise part'),
    ('pnasnet', 'its cells use separable convolutions with a pointwise part'),
)


def _holds_ranges(path):
  """Whether the checkpoint at `path` (a prefix or directory) holds quantization ranges."""
  try:
    names = checkpoints.variables_in(checkpoints.find(path))
  except checkpoints.CheckpointError:
    return False
  return any(fake_quant.is_range_name(name) for name in names)


def quantization(spec, config, current_step=None):
  """The quantization scope of a run, or None: in training (a config with
  quantize_delay) from --quantize_delay >= 0 on; elsewhere (eval.py, export.py,
  predict.py) when --checkpoint_path holds quantization ranges, a QAT run's."""
  if 'quantize_delay' in config:
    delay = config['quantize_delay']
    if delay is None or delay < 0:
      return None
  elif config.get('checkpoint_path') and _holds_ranges(config['checkpoint_path']):
    delay = 0
  else:
    return None
  what = '--quantize_delay=%d' % delay if 'quantize_delay' in config else \
      '--checkpoint_path=%s (quantization-aware trained)' % config['checkpoint_path']
  if not spec.name.startswith(QUANTIZABLE):
    reason = dict(NOT_QUANTIZABLE).get(next(
        (prefix for prefix, _ in NOT_QUANTIZABLE if spec.name.startswith(prefix)), None),
        'it is not among the nets tested quantized')
    raise ConfigError('%s: %s cannot be quantized (%s); quantizable: %s' % (
        what, spec.name, reason, ', '.join(p.rstrip('_') + '*' for p in QUANTIZABLE)))
  if config.get('mixed_precision') not in (None, 'none'):
    raise ConfigError('%s: quantization-aware training runs in float32, not '
                      '--mixed_precision=%s' % (what, config['mixed_precision']))
  return quantize.quantize_scope(quant_delay=delay, step=current_step)


def warm_start_variables(variables, path):
  """`variables` less the quantization ranges that the checkpoint at `path` lacks
  (a float checkpoint warm-starting a QAT run): those start new and are learned."""
  stored = checkpoints.variables_in(checkpoints.find(path))
  return [v for v in variables if not (fake_quant.is_range_name(checkpoints.name_of(v))
                                       and checkpoints.name_of(v) not in stored)]


def quantization_aware(net):
  """Whether a built net is quantized (holds quantization ranges): its TFLite int8
  export reads the ranges it learned instead of calibrating."""
  return any(fake_quant.is_range_name(checkpoints.name_of(v)) for v in net.variables)
