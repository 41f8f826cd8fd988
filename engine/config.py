"""One resolved config from flag defaults, a YAML recipe and the command line.

The order is defaults < YAML < flags given on the command line. A recipe's
keys are the binary's flag names, plus `scope:` for the parameters of the
model's `*_arg_scope()` (`weight_decay`, `batch_norm_decay`, ...):

    model_name: inception_v3
    dataset_name: flowers
    learning_rate: 0.01
    scope:
      batch_norm_decay: 0.9997

A recipe may start from others: `include: base.yaml` (or a list, applied in
order; paths relative to the including file) gives the values the recipe's own
keys then change; `scope:` is merged parameter by parameter. Keys that say one
thing two ways (`learning_rate` and `learning_rate_per_256`) may not both be
set in one place; a later file or the command line setting one drops the other.

The resolved config is a plain dict, written beside the run as YAML.
"""

import difflib
import os
import re

import tensorflow as tf
import yaml

from datasets import files


class ConfigError(ValueError):
  """A bad recipe or flag value; the message names the file or flag."""


def _hint(key, valid):
  close = difflib.get_close_matches(key, valid, n=3, cutoff=0.6)
  return ('did you mean %s? ' % ', '.join(close)) if close else ''


class _Loader(yaml.SafeLoader):
  """YAML 1.1 reads 4e-5 as a string; recipes mean the number."""


_Loader.add_implicit_resolver(
    'tag:yaml.org,2002:float',
    re.compile(r'^[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?'
               r'|[0-9][0-9_]*[eE][-+]?[0-9]+|\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$'),
    list('-+0123456789.'))


# Keys that set one value two ways: one place (a file, the command line) sets one of them.
ALTERNATIVES = (('learning_rate', 'learning_rate_per_256'),)


def choose_alternatives(config, layer, source, defaults=None):
  """`config` with the keys of `layer`, a later layer, over it: an alternative `layer`
  sets replaces its partner (back to `defaults`, or dropped); both set in `layer` is
  an error naming `source`."""
  config = dict(config)
  for pair in ALTERNATIVES:
    given = [key for key in pair if layer.get(key) is not None]
    if len(given) > 1:
      raise ConfigError('%s sets both %s; give one of them' % (source, ' and '.join(given)))
    for other in (key for key in pair if given and key != given[0] and key in config):
      if defaults is None:
        del config[other]
      else:
        config[other] = defaults.get(other)
  return config


def _merge(base, recipe, path):
  """`recipe` over `base`: its keys replace, its scope parameters are merged one by one."""
  merged = choose_alternatives(base, recipe, '--config: %s' % path)
  for key, value in recipe.items():
    if key == 'scope' and isinstance(value, dict) and isinstance(merged.get('scope'), dict):
      value = dict(merged['scope'], **value)
    merged[key] = value
  return merged


def load_yaml(path, _included_by=()):
  """The mapping in a YAML recipe, with the recipes it includes under it."""
  data = _read_yaml(path)
  included = data.pop('include', None)
  if included is None:
    return data
  names = [included] if isinstance(included, str) else included
  if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
    raise ConfigError('--config: %s: include must name a recipe file or a list of them, not %r'
                      % (path, included))
  chain = _included_by + (path,)
  merged = {}
  for name in names:
    target = os.path.normpath(os.path.join(os.path.dirname(path), name))
    if any(os.path.realpath(target) == os.path.realpath(p) for p in chain):
      raise ConfigError('--config: include cycle %s' % ' -> '.join(chain + (target,)))
    if not os.path.isfile(target):
      raise ConfigError('--config: %s includes %s, which does not exist (%s)'
                        % (path, name, target))
    merged = _merge(merged, load_yaml(target, chain), target)
  return _merge(merged, data, path)


def _read_yaml(path):
  """The mapping in one YAML file."""
  if not os.path.isfile(path):
    raise ConfigError('--config: %s does not exist' % path)
  try:
    with open(path) as f:
      data = yaml.load(f, Loader=_Loader)
  except yaml.YAMLError as e:
    mark = getattr(e, 'problem_mark', None)
    where = ' line %d' % (mark.line + 1) if mark else ''
    raise ConfigError('--config: %s%s is not valid YAML: %s' % (
        path, where, getattr(e, 'problem', None) or e)) from None
  if data is None:
    return {}
  if not isinstance(data, dict):
    raise ConfigError('--config: %s holds a %s, not a mapping of flag names to values'
                      % (path, type(data).__name__))
  return data


def _coerce(key, value, parse, source):
  """`value` parsed as the flag `key` parses its text (YAML may say 1 for 1.0, or list
  scopes that the flag takes comma-separated)."""
  if value is None or parse is None:
    return value
  if isinstance(value, list):
    value = ','.join(map(str, value))
  try:
    return parse(value)
  except (ValueError, TypeError) as e:
    raise ConfigError('%s: %s: %r is not valid (%s)' % (source, key, value, e)) from None


def resolve(defaults, recipe=None, overrides=None, recipe_name='--config', parsers=None):
  """defaults < recipe < overrides, checked against the known keys.

  Args:
    defaults: {flag name: default value}; the known keys.
    recipe: the YAML mapping, or None.
    overrides: {flag name: value} given on the command line.
    recipe_name: how errors name the recipe.
    parsers: {flag name: fn(value) -> typed value} for the recipe's values.

  Returns:
    {key: value} with every key of `defaults` and `scope` (a dict).
  """
  config = dict(defaults)
  config['scope'] = {}
  recipe, overrides = recipe or {}, overrides or {}
  config = choose_alternatives(config, recipe, recipe_name, defaults)
  for key, value in recipe.items():
    if key == 'scope':
      if not isinstance(value, dict):
        raise ConfigError('%s: scope must map parameter names to values, not %r'
                          % (recipe_name, value))
      config['scope'] = dict(value)
      continue
    if key not in defaults:
      valid = sorted(defaults) + ['scope']
      raise ConfigError('%s: unknown key %r; %svalid keys: %s' % (
          recipe_name, key, _hint(key, valid), ', '.join(valid)))
    config[key] = _coerce(key, value, (parsers or {}).get(key), recipe_name)
  config = choose_alternatives(config, overrides, 'the command line', defaults)
  config.update(overrides)
  return config


def write(config, path):
  """Writes the resolved config as YAML (atomically)."""
  files.write_whole(path, yaml.safe_dump(config, sort_keys=True, default_flow_style=False))


def writable_dir(path, flag):
  """Creates directory `path` when missing and checks that files can be written there,
  before any work that would be lost; `flag` names it in the error."""
  probe = os.path.join(path, '.write_test_%d' % os.getpid())
  try:
    tf.io.gfile.makedirs(path)
    with tf.io.gfile.GFile(probe, 'w') as f:
      f.write('ok')
    tf.io.gfile.remove(probe)
  except (tf.errors.OpError, OSError) as e:
    reason = e.message if isinstance(e, tf.errors.OpError) else str(e)
    raise ConfigError('%s=%s cannot be written (%s); give a directory you can write to'
                      % (flag, path, reason.split('\n')[0])) from None
  return path
