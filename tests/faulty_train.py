"""train.py with a fault in saving a checkpoint.

  python tests/faulty_train.py POINT STEP train.py-flags...

POINT is where the checkpoint of step STEP is cut off: SIGKILL at
'files_written' (its index and data written, the `checkpoint` state not yet
updated) or at 'deleting_old' (the state updated, old checkpoints half
deleted); or 'disk_full': the write fails as it does on a full disk, half a
data file written. Everything else is train.py as users run it.
"""

import os
import runpy
import signal
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import tensorflow as tf  # noqa: E402
from tensorflow.python.checkpoint import checkpoint_management as management  # noqa: E402


def main():
  point, step = sys.argv[1], int(sys.argv[2])
  suffix = '-%d' % step
  update_state, delete = management.update_checkpoint_state_internal, \
      management._delete_file_if_exists  # noqa: SLF001

  def die(message):
    print('FAULT %s' % message, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

  def state_then_maybe_die(save_dir, model_checkpoint_path, *args, **kwargs):
    if point == 'files_written' and model_checkpoint_path.endswith(suffix):
      die('killed with %s written, the state not updated' % model_checkpoint_path)
    return update_state(save_dir, model_checkpoint_path, *args, **kwargs)

  deleting = {'active': False}

  def delete_then_maybe_die(filespec):
    delete(filespec)
    if point == 'deleting_old' and deleting['active'] and filespec.endswith('.index'):
      die('killed after deleting %s, before its data' % filespec)

  original_sweep = management.CheckpointManager._sweep  # noqa: SLF001

  def sweep(manager):
    deleting['active'] = (manager.latest_checkpoint or '').endswith(suffix)
    return original_sweep(manager)

  write = tf.train.Checkpoint._write  # noqa: SLF001

  def write_or_fill_the_disk(checkpoint, prefix, *args, **kwargs):
    if point == 'disk_full' and prefix.endswith(suffix):
      with open(prefix + '.data-00000-of-00001.tempstate1', 'wb') as f:
        f.write(b'half a checkpoint')
      raise tf.errors.ResourceExhaustedError(None, None, '%s; No space left on device' % prefix)
    return write(checkpoint, prefix, *args, **kwargs)

  tf.train.Checkpoint._write = write_or_fill_the_disk  # noqa: SLF001
  management.update_checkpoint_state_internal = state_then_maybe_die
  management._delete_file_if_exists = delete_then_maybe_die  # noqa: SLF001
  management.CheckpointManager._sweep = sweep  # noqa: SLF001
  sys.argv = [os.path.join(ROOT, 'train.py')] + sys.argv[3:]
  runpy.run_path(sys.argv[0], run_name='__main__')


if __name__ == '__main__':
  main()
