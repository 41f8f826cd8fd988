"""One resolved config from flag defaults, a YAML recipe and the command line.

The order is defaults < YAML < flags given on the command line. A recipe's
keys are the binary's flag names, plus `scope:` for the parameters of the
model's `*_arg_scope()` (`weight_decay`, `batch_norm_decay`, ...):

    model_name: inception_v3
    dataset_name: flowers
    learning_rate: 0.01
    scope:
      batch_norm_decay: 0.9997

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


def load_yaml(path):
  """The mapping in a YAML recipe."""
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
  for key, value in (recipe or {}).items():
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
  config.update(overrides or {})
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
