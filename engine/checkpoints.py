"""Reading checkpoints by variable name: TF-Slim's TF1 checkpoints and our TF2 ones alike.

A TF1 checkpoint (`tf.compat.v1.train.Saver`, every official TF-Slim file)
stores each variable under its name. Ours are object-based
(`tf.train.Checkpoint`), and their object graph records each variable's name
beside its key. `variables_in(path)` reads both as {name: (key, shape)}, so a
warm start matches model variables to checkpoint values by TF-Slim's names.
"""

import collections
import dataclasses
import os

import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

_OBJECT_GRAPH = '_CHECKPOINTABLE_OBJECT_GRAPH'


class CheckpointError(ValueError):
  """A missing or mismatched checkpoint; the message names the variable and the fix."""


def find(path):
  """The checkpoint prefix for a file prefix or a directory (its latest)."""
  if path and tf.io.gfile.isdir(path):
    latest = tf.train.latest_checkpoint(path)
    if latest is None:
      raise CheckpointError('--checkpoint_path: %s holds no checkpoint' % path)
    return latest
  if not path or not tf.io.gfile.glob(path + '*'):
    raise CheckpointError('--checkpoint_path: %s does not exist (give a checkpoint prefix such '
                          'as model.ckpt-1000, or a directory)' % path)
  return path


def variables_in(path):
  """{variable name: (checkpoint key, shape)} of the checkpoint at `path`."""
  try:
    reader = tf.train.load_checkpoint(path)
  except (tf.errors.OpError, ValueError) as e:
    raise CheckpointError('--checkpoint_path: %s is not a readable checkpoint (%s)'
                          % (path, str(e).split('\n')[0])) from None
  shapes = reader.get_variable_to_shape_map()
  if _OBJECT_GRAPH not in shapes:
    return {name: (name, tuple(shape)) for name, shape in shapes.items()}
  graph = trackable_object_graph_pb2.TrackableObjectGraph()
  graph.ParseFromString(reader.get_tensor(_OBJECT_GRAPH))
  found = {}
  for node in graph.nodes:
    for attribute in node.attributes:
      if attribute.checkpoint_key in shapes and attribute.name == 'VARIABLE_VALUE':
        found.setdefault(attribute.full_name, (attribute.checkpoint_key,
                                               tuple(shapes[attribute.checkpoint_key])))
  return found


def name_of(variable):
  """A variable's name without ':0' and without a replica suffix."""
  return variable.name.split(':')[0]


def in_scopes(name, scopes):
  """Whether `name` lies in one of `scopes` ('InceptionV3/Logits' holds
  'InceptionV3/Logits/Conv2d_1c_1x1/weights' but not 'InceptionV3/Logits2/...')."""
  return any(name == s.rstrip('/') or name.startswith(s.rstrip('/') + '/') for s in scopes)


def split_scopes(value):
  """Comma-separated scopes (a flag) or a list (YAML) -> a list."""
  if not value:
    return []
  items = value.split(',') if isinstance(value, str) else value
  return [s.strip() for s in items if s.strip()]


@dataclasses.dataclass
class WarmStartReport:
  restored: list
  excluded: list
  missing: list

  def __str__(self):
    return ('restored %d variables, skipped %d in --checkpoint_exclude_scopes, left %d new%s'
            % (len(self.restored), len(self.excluded), len(self.missing),
               ' (%s%s)' % (', '.join(self.missing[:3]), ', ...' if len(self.missing) > 3 else '')
               if self.missing else ''))


def warm_start(variables, path, exclude_scopes=(), ignore_missing_vars=False, suggest_scope=None,
               name_map=None):
  """Assigns checkpoint values to `variables` by name.

  Args:
    variables: the model's variables.
    path: a checkpoint prefix or directory.
    exclude_scopes: variables in these scopes keep their initial values.
    ignore_missing_vars: variables absent from the checkpoint stay new; otherwise
      each one is an error.
    suggest_scope: fn(name) -> the exclude scope to suggest for a mismatch.
    name_map: fn(model variable name) -> the checkpoint name to read
      (e.g. its moving average); default: the same name.

  Returns:
    A `WarmStartReport`.
  """
  path = find(path)
  stored = variables_in(path)
  _check_same_model(variables, stored, path, exclude_scopes, name_map)
  reader = tf.train.load_checkpoint(path)
  report = WarmStartReport([], [], [])
  assignments = []
  for variable in variables:
    name = name_of(variable)
    if in_scopes(name, exclude_scopes):
      report.excluded.append(name)
      continue
    source = name_map(name) if name_map else name
    if source not in stored:
      if not ignore_missing_vars:
        raise CheckpointError(
            '%s is not in checkpoint %s; exclude its scope (--checkpoint_exclude_scopes=%s) or '
            'pass --ignore_missing_vars' % (source, path, (suggest_scope or _parent)(name)))
      report.missing.append(name)
      continue
    key, shape = stored[source]
    if tuple(shape) != tuple(variable.shape):
      raise CheckpointError(
          '%s has shape %s in checkpoint %s but %s in the model; exclude it with '
          '--checkpoint_exclude_scopes=%s' % (name, list(shape), os.path.basename(path),
                                              list(variable.shape),
                                              (suggest_scope or _parent)(name)))
    assignments.append((variable, key))
  for variable, key in assignments:
    variable.assign(tf.cast(reader.get_tensor(key), variable.dtype))
    report.restored.append(name_of(variable))
  return report


def _parent(name):
  return name.rsplit('/', 1)[0]


def _check_same_model(variables, stored, path, exclude_scopes, name_map):
  """Refuses a checkpoint that holds none of the model's variables: another model's."""
  names = [name_of(v) for v in variables if not in_scopes(name_of(v), exclude_scopes)]
  if not names or any((name_map(n) if name_map else n) in stored for n in names):
    return
  model_names = [name for name, (key, _) in stored.items()
                 if '/' in name and not key.startswith('optimizer/')]  # not our slots
  theirs = [scope for scope, _ in collections.Counter(
      name.split('/')[0] for name in model_names).most_common()] or sorted(stored)[:3]
  raise CheckpointError(
      '--checkpoint_path: %s holds another model (variables under %s), none of the %d '
      'variables under %s; check --model_name' % (
          path, ', '.join(theirs[:3]), len(names), names[0].split('/')[0]))


def restore(variables, path, moving_averages=False):
  """Loads a checkpoint for evaluation or serving: every variable, by name; with
  `moving_averages` the `<name>/ExponentialMovingAverage` values where kept
  (TF-Slim's convention; the batch-norm statistics have none)."""
  path = find(path)
  stored = variables_in(path)
  average = lambda name: name + '/ExponentialMovingAverage'  # noqa: E731
  if moving_averages and not any(name.endswith('/ExponentialMovingAverage') for name in stored):
    raise CheckpointError('--moving_average_decay: %s holds no moving averages (train with '
                          '--moving_average_decay to keep them)' % path)
  name_map = (lambda name: average(name) if average(name) in stored else name) \
      if moving_averages else None
  _check_same_classes(variables, stored, path, name_map)
  return warm_start(variables, path, name_map=name_map)


def _check_same_classes(variables, stored, path, name_map):
  """Refuses to evaluate or serve a checkpoint whose classifier has other classes than the
  model (an official 1001-class one on a 10-class dataset). Training's fix, excluding the
  classifier from the warm start, would score a random one here; warm_start names any other
  mismatch."""
  differ = []
  for variable in variables:
    name = name_of(variable)
    _, shape = stored.get(name_map(name) if name_map else name, (None, None))
    if shape is not None and tuple(shape) != tuple(variable.shape):
      differ.append((name, tuple(shape), tuple(variable.shape)))
  # A classifier of another size differs in its output axis alone, by the same counts in
  # every variable of it (weights, biases, an auxiliary head); another variant of the net
  # differs elsewhere or by several.
  counts = {(theirs[-1], ours[-1]) if len(theirs) == len(ours) and theirs[:-1] == ours[:-1]
            else None for _, theirs, ours in differ}
  if len(counts) != 1 or None in counts:
    return
  (theirs, ours), = counts
  shown = next((name for name, shape, _ in differ if len(shape) == 1), differ[0][0])
  heads = ','.join(dict.fromkeys(_parent(name) for name, _, _ in differ))
  raise CheckpointError(
      'checkpoint %s has %d classes (%s), the model here %d (the dataset\'s, or '
      '--num_classes): run with --num_classes=%d if the dataset\'s labels are the '
      'checkpoint\'s (--labels_offset maps them), or fine-tune a %d-class classifier first '
      '(train.py --checkpoint_path=%s --checkpoint_exclude_scopes=%s)'
      % (os.path.basename(path), theirs, shown, ours, theirs, ours, path, heads))


def classes_in(path, logits_scope):
  """The number of classes of the classifier in `logits_scope` that the checkpoint at
  `path` holds (its biases' size), or None when it holds no such classifier."""
  for name, (_, shape) in variables_in(find(path)).items():
    if in_scopes(name, [logits_scope]) and name.endswith('/biases') and len(shape) == 1:
      return int(shape[0])
  return None
