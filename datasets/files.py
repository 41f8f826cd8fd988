"""Small files written whole or not at all: every binary's labels, split sizes, configs,
results, predictions and bench reports.

It lives in `datasets`, the lowest package that writes files, so that datasets,
engine and bench.py can all use it without importing the engine.
"""

import tensorflow as tf


def write_whole(path, text):
  """Writes `text` to `path` (local or any filesystem gfile knows) whole or not at
  all: into `path.tmp`, then renamed over `path`, so that a crash or a full disk
  leaves the earlier file, never a cut one."""
  tmp = path + '.tmp'
  try:
    with tf.io.gfile.GFile(tmp, 'w') as f:
      f.write(text)
    tf.io.gfile.rename(tmp, path, overwrite=True)
  except BaseException:
    try:
      tf.io.gfile.remove(tmp)
    except tf.errors.OpError:  # never created, or the filesystem is gone
      pass
    raise
