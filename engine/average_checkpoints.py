"""One checkpoint, the element-wise mean of the last K checkpoints of a training run.

  python -m engine.average_checkpoints --checkpoint_path=runs/resnet_v1_50 --last=5 \
      --output=runs/resnet_v1_50/averaged/model.ckpt

Every floating-point value is the mean of the K checkpoints': the weights, their
moving averages, the batch-norm statistics and the optimizer's slots. Every
other value (the step counters, the object graph) is the newest checkpoint's,
so the result reads as that step. It has the run's own form, so eval.py,
export.py and predict.py read it with --checkpoint_path=<output> as they read
the run's checkpoints (by variable name, the moving averages with
--moving_average_decay). It is written whole or not at all: a failure leaves
no partial file, and an existing --output is replaced only with --overwrite.
"""

import os

import tflogs

if __name__ == '__main__':
  tflogs.quiet()  # first, before TensorFlow loads and writes its start-up lines

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import flags as absl_flags  # noqa: E402

from engine import checkpoints, cli, flags  # noqa: E402
from engine.checkpoints import CheckpointError  # noqa: E402
from engine.config import ConfigError  # noqa: E402

def last_checkpoints(directory, count):
  """The prefixes of the last `count` checkpoints of `directory`, oldest first: those
  its `checkpoint` state file lists (train.py's, of complete checkpoints only)."""
  if not directory or not tf.io.gfile.isdir(directory):
    raise CheckpointError('--checkpoint_path=%s: give the directory of a training run '
                          '(its train_dir), whose last --last checkpoints are averaged' % directory)
  state = tf.train.get_checkpoint_state(directory)
  paths = [os.path.join(directory, p) for p in (state.all_model_checkpoint_paths if state else [])]
  paths = [p for p in paths if tf.io.gfile.exists(p + '.index')]
  if len(paths) < count:
    raise CheckpointError('--last=%d: %s holds %d checkpoint%s (%s); average at most that many'
                          % (count, directory, len(paths), '' if len(paths) == 1 else 's',
                             ', '.join(os.path.basename(p) for p in paths) or 'none'))
  return paths[-count:]


def _names(path):
  """{checkpoint key: variable name} of a checkpoint, for messages."""
  return {key: name for name, (key, _) in checkpoints.variables_in(path).items()}


def _check_same_variables(paths, readers):
  """Refuses checkpoints that hold other variables, or other shapes or types, than the newest."""
  newest, names = paths[-1], _names(paths[-1])
  shapes = readers[-1].get_variable_to_shape_map()
  dtypes = readers[-1].get_variable_to_dtype_map()
  for path, reader in zip(paths[:-1], readers[:-1], strict=True):
    theirs, their_dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    only = sorted(set(shapes) ^ set(theirs))
    if only:
      names.update(_names(path))
      key = only[0]
      where = os.path.basename(newest if key in shapes else path)
      raise CheckpointError(
          'checkpoints %s and %s hold different variables (%s only in %s%s): average the '
          'checkpoints of one run' % (os.path.basename(path), os.path.basename(newest),
                                      names.get(key, key), where,
                                      ', and %d more' % (len(only) - 1) if len(only) > 1 else ''))
    for key in sorted(shapes):
      if shapes[key] != theirs[key] or dtypes[key] != their_dtypes[key]:
        raise CheckpointError(
            'variable %s is %s %s in %s but %s %s in %s: average the checkpoints of one run'
            % (names.get(key, key), their_dtypes[key].name, theirs[key], os.path.basename(path),
               dtypes[key].name, shapes[key], os.path.basename(newest)))


def average(paths):
  """{checkpoint key: value}: the mean of the checkpoints at `paths` (oldest first) for
  floating-point values, the last one's for the others."""
  readers = [tf.train.load_checkpoint(p) for p in paths]
  _check_same_variables(paths, readers)
  dtypes = readers[-1].get_variable_to_dtype_map()
  values = {}
  for key, dtype in sorted(dtypes.items()):
    newest = readers[-1].get_tensor(key)
    if dtype.is_floating:
      total = sum(np.asarray(r.get_tensor(key), np.float64) for r in readers)
      values[key] = (total / len(readers)).astype(newest.dtype)
    else:
      values[key] = newest
  return values


def write(values, prefix, overwrite=False):
  """Writes `values` as the checkpoint `prefix` (its .index and .data files) under a
  temporary name, then renames it into place, the index last."""
  existing = tf.io.gfile.glob(prefix + '.index') + tf.io.gfile.glob(prefix + '.data-*')
  if existing and not overwrite:
    raise ConfigError('--output: checkpoint %s exists; pass --overwrite to replace it' % prefix)
  parent = os.path.dirname(os.path.abspath(prefix))
  os.makedirs(parent, exist_ok=True)
  if not os.access(parent, os.W_OK):
    raise PermissionError('--output: cannot write to %s' % parent)
  tmp = '%s.tmp-%d' % (prefix, os.getpid())
  aside = [(path, '%s.old-%d' % (path, os.getpid())) for path in existing]
  keys = sorted(values)
  try:
    tf.raw_ops.SaveV2(prefix=tmp, tensor_names=keys, shape_and_slices=[''] * len(keys),
                      tensors=[tf.constant(values[k]) for k in keys])
    for path, old in aside:
      os.replace(path, old)
    new = tf.io.gfile.glob(tmp + '.data-*') + [tmp + '.index']  # a reader opens the index
    for path in new:
      os.replace(path, prefix + path[len(tmp):])
  except BaseException:
    for path, old in aside:  # the earlier checkpoint, whole again
      if os.path.exists(old):
        os.replace(old, path)
    raise
  finally:
    for path in tf.io.gfile.glob(tmp + '.*'):
      os.remove(path)
  for _, old in aside:
    os.remove(old)


def average_checkpoints(directory, last, output, overwrite=False):
  """Averages the last `last` checkpoints of `directory` into `output`; returns their paths."""
  if last is None or last < 1:
    raise ConfigError('--last=%s: give how many of the newest checkpoints to average (1 or more)'
                      % last)
  if not output:
    raise ConfigError('--output is required: the checkpoint prefix to write, e.g. '
                      '%s' % os.path.join(directory or 'runs/model', 'averaged', 'model.ckpt'))
  paths = last_checkpoints(directory, last)
  if os.path.abspath(output) in [os.path.abspath(p) for p in paths]:
    raise ConfigError('--output=%s is one of the checkpoints averaged; write elsewhere' % output)
  write(average(paths), output, overwrite)
  return paths


def main(argv):
  if len(argv) > 1:
    raise ConfigError('unexpected arguments %s; flags start with --' % ' '.join(argv[1:]))
  values = absl_flags.FLAGS
  paths = average_checkpoints(values.checkpoint_path, values.last, values.output,
                              values.overwrite)
  print('%s: the mean of %d checkpoints (%s), the step of the newest' % (
      values.output, len(paths), ', '.join(os.path.basename(p) for p in paths)))


if __name__ == '__main__':
  flags.define(flags.AVERAGE)
  cli.run(main, 'average_checkpoints')
