"""When and how training writes its checkpoints (reading them is `engine.checkpoints`).

A checkpoint is due every --save_interval_steps steps or --save_interval_secs
seconds. It is written only of finite weights, so that the latest checkpoint
is always one to resume from; and a full disk leaves no partial checkpoint
behind, the previous one staying the latest.
"""

import errno
import time

import tensorflow as tf

from engine.checkpoints import CheckpointError


class CheckpointSaver:
  """Saves through a `tf.train.CheckpointManager` the checkpoints of a run whose
  weights are `variables`; `train_dir` names the run in errors."""

  def __init__(self, manager, variables, train_dir, interval_steps, interval_secs):
    self.manager = manager
    self.variables = variables
    self.train_dir = train_dir
    self.interval_steps = interval_steps
    self.interval_secs = interval_secs
    self.last_save = time.time()

  def due(self, step, now):
    """Whether step `step`, ending at time `now`, is one to save."""
    return bool((self.interval_steps and step % self.interval_steps == 0)
                or now - self.last_save >= self.interval_secs)

  def save_if_due(self, step, now):
    if self.due(step, now):
      self.save(step)
      self.last_save = now

  def save(self, step):
    """A checkpoint of step `step`, unless the weights have become NaN or Inf: then
    the run stops and the last checkpoint, of good weights, stays the latest.
    Returns its path."""
    if not bool(self._weights_finite()):
      raise FloatingPointError(
          'the weights became NaN or Inf by step %d; not saved, so %s stays the latest '
          'checkpoint; lower --learning_rate or set --clip_gradient_norm'
          % (step, self.manager.latest_checkpoint or 'no checkpoint'))
    try:
      return self.manager.save(checkpoint_number=step)
    except (tf.errors.ResourceExhaustedError, OSError) as e:  # ENOSPC comes as either
      if not isinstance(e, tf.errors.ResourceExhaustedError) and e.errno != errno.ENOSPC:
        raise
      self._remove_partial(step)
      raise CheckpointError(
          '--train_dir=%s: the disk is full; step %d was not saved and %s stays the latest '
          'checkpoint. Free some space (or lower --keep_checkpoint_max) and run the same '
          'command to resume' % (self.train_dir, step,
                                 self.manager.latest_checkpoint or 'no checkpoint')) from None

  def _remove_partial(self, step):
    """Deletes what a failed save of `step` left; the `checkpoint` state never named it."""
    prefix = '%s-%d' % (self.manager._checkpoint_prefix, step)  # noqa: SLF001
    for path in tf.io.gfile.glob(prefix + '.*') + tf.io.gfile.glob(prefix + '_temp*'):
      if tf.io.gfile.isdir(path):
        tf.io.gfile.rmtree(path)
      else:
        tf.io.gfile.remove(path)

  @tf.function
  def _weights_finite(self):
    return tf.reduce_all([tf.reduce_all(tf.math.is_finite(v)) for v in self.variables
                          if v.dtype.is_floating])
