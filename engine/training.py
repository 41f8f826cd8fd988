"""The training loop of train.py: a registered net under its arg_scope, on a strategy.

`train(config)` takes the resolved config (engine.config) and runs: data ->
model inside `strategy.scope()` -> resume from train_dir, or warm start from
--checkpoint_path -> a `tf.function` step per replica -> checkpoints,
TensorBoard summaries and a progress line. It returns a summary of the run.
The model comes from `model_building`, the losses from `losses`; when and how a
checkpoint is saved is `checkpoint_saving`, and stopping on a signal `signals`.
"""

import math
import os
import shutil
import signal
import time

import tensorflow as tf
import tf_keras

from datasets import pipeline
from engine import checkpoints, inputs, losses, optimizers, signals, strategies
from engine import config as config_lib
from engine.checkpoint_saving import CheckpointSaver
from engine.model_building import build_network, warm_start_variables
from nets import registry


class MovingAverage(tf.Module):
  """TF-Slim's exponential moving average of the weights, with its variable names
  (`<name>/ExponentialMovingAverage`) and its warm-up: the decay is
  min(decay, (1 + step) / (10 + step))."""

  def __init__(self, variables, decay):
    super().__init__(name='moving_average')
    self.decay = decay
    self.averaged = list(variables)
    self.shadows = [tf.Variable(lambda v=v: tf.identity(v), trainable=False,
                                name=checkpoints.name_of(v) + '/ExponentialMovingAverage',
                                aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
                    for v in self.averaged]

  def update(self, step):
    step = tf.cast(step, tf.float32)
    decay = tf.minimum(self.decay, (1.0 + step) / (10.0 + step))
    for shadow, variable in zip(self.shadows, self.averaged, strict=True):
      shadow.assign_sub((1.0 - decay) * (shadow - tf.cast(variable, shadow.dtype)))


def _format_eta(seconds):
  seconds = int(seconds)
  return '%d:%02d:%02d' % (seconds // 3600, seconds // 60 % 60, seconds % 60)


class Trainer:
  """Everything one training run holds; `run()` trains."""

  def __init__(self, config, data=None):
    """`data`: an `inputs.Data` instead of the config's dataset (bench.py's synthetic)."""
    self.config = config
    if config['seed'] is not None:
      tf.random.set_seed(config['seed'])  # initial weights and the input order repeat
    self.spec = registry.get(config['model_name'])
    self.augmentation = inputs.augmentation(config)  # a bad flag stops before any work
    config_lib.writable_dir(config['train_dir'], '--train_dir')
    self.strategy = strategies.make_strategy(config['strategy'])
    self.chief = strategies.is_chief(self.strategy)
    self.replicas = self.strategy.num_replicas_in_sync
    self.data = data or inputs.resolve(config, self.spec, ('train',), config['train_image_size'])
    if self.data.demo:
      self.say('no --dataset_name: training on the embedded digits demo dataset '
               '(%d images, datasets/digits)' % self.data.split.num_samples)
    self.accumulation = config['gradient_accumulation_steps']
    # The images of one update: every replica's micro-batches. Steps count updates.
    self.global_batch = config['batch_size'] * self.replicas * self.accumulation
    self.config = config = self._learning_rate_per_256(config)
    self.steps_per_epoch = max(1, self.data.split.num_samples // self.global_batch)
    self.max_steps = config['max_number_of_steps']
    if self.max_steps is None and self.data.demo:
      self.max_steps = self.steps_per_epoch
      self.say('no --max_number_of_steps: stopping after one epoch, %d steps' % self.max_steps)
    if self.max_steps is None and config['learning_rate_decay_type'] == 'cosine':
      raise optimizers.OptimizerError('--learning_rate_decay_type=cosine needs '
                                      '--max_number_of_steps')
    if self.max_steps is None and config['cooldown_epochs']:
      raise optimizers.OptimizerError('--cooldown_epochs needs --max_number_of_steps')
    self.counter = pipeline.SkipCounter() if config['skip_bad_records'] else None
    self._build()

  def _learning_rate_per_256(self, config):
    """`config` with the learning_rate that --learning_rate_per_256 sets for the global batch."""
    per_256 = config['learning_rate_per_256']
    if per_256 is None:
      return config
    if not per_256 > 0:
      raise optimizers.OptimizerError('--learning_rate_per_256 must be positive, got %g'
                                      % per_256)
    learning_rate = per_256 * self.global_batch / 256
    self.say('learning rate %g = %g x %d images per update / 256' % (
        learning_rate, per_256, self.global_batch))
    return dict(config, learning_rate=learning_rate)

  def say(self, message):
    if self.chief:
      print(message, flush=True)

  def _build(self):
    config, data = self.config, self.data
    with self.strategy.scope():
      schedule = optimizers.make_schedule(config, self.steps_per_epoch,
                                          self.max_steps or self.steps_per_epoch)
      self.schedule = schedule
      self.optimizer = optimizers.make_optimizer(config, schedule)
      # Drop path ramps up over the run's updates.
      self.net = build_network(self.spec, config, data.num_classes,
                               current_step=self.optimizer.iterations, total_steps=self.max_steps)
      self.net(tf.zeros([1, data.image_size, data.image_size, 3]), training=False)
      self.loss_scaling = config['mixed_precision'] == 'float16'
      if self.loss_scaling:  # float16 gradients underflow without it; bfloat16's do not
        self.optimizer = tf_keras.mixed_precision.LossScaleOptimizer(self.optimizer)
      trainable_scopes = checkpoints.split_scopes(config['trainable_scopes'])
      self.trainable = [v for v in self.net.trainable_variables
                        if not trainable_scopes or checkpoints.in_scopes(
                            checkpoints.name_of(v), trainable_scopes)]
      if not self.trainable:
        raise config_lib.ConfigError('--trainable_scopes=%s matches no trainable variable of %s'
                                     % (config['trainable_scopes'], self.spec.name))
      # Slots now, not at the first step: a resumed run restores them at once.
      self.optimizer.build(self.trainable)
      self.average = None
      if config['moving_average_decay']:
        self.average = MovingAverage(self.net.variables, config['moving_average_decay'])
      objects = dict(model=self.net, optimizer=self.optimizer)
      if self.average is not None:
        objects['moving_average'] = self.average
      self.checkpoint = tf.train.Checkpoint(**objects)
    self.train_dir = config['train_dir']
    save_dir = self.train_dir if self.chief else os.path.join(
        self.train_dir, 'worker_temp_%d' % self.strategy.cluster_resolver.task_id)
    self.manager = tf.train.CheckpointManager(
        self.checkpoint, save_dir, max_to_keep=config['keep_checkpoint_max'],
        step_counter=self.optimizer.iterations)

  def _restore_or_warm_start(self):
    config = self.config
    latest = self.manager.latest_checkpoint or tf.train.latest_checkpoint(self.train_dir)
    if latest:
      try:
        self.checkpoint.restore(latest).assert_existing_objects_matched()
      except (AssertionError, ValueError, tf.errors.OpError) as e:
        raise checkpoints.CheckpointError(
            '--train_dir=%s holds %s, which does not fit this model (%s); give a new '
            '--train_dir' % (self.train_dir, os.path.basename(latest),
                             str(e).split('\n')[0][:200])) from None
      self.say('resumed from %s at step %d' % (latest, int(self.optimizer.iterations.numpy())))
      return
    if not config['checkpoint_path']:
      return
    exclude = checkpoints.split_scopes(config['checkpoint_exclude_scopes'])
    # The checkpoint's own classifier decides (one of ours may already have the classes).
    stored_classes = (checkpoints.classes_in(config['checkpoint_path'], self.spec.logits_scopes[0])
                      or self.spec.num_classes)
    if not exclude and self.data.num_classes != stored_classes:
      exclude = list(self.spec.logits_scopes)
      self.say('%d classes instead of %d: leaving out %s' % (
          self.data.num_classes, stored_classes, ', '.join(exclude)))
    # A float checkpoint warm-starts a quantization-aware run: its ranges start new.
    report = checkpoints.warm_start(
        warm_start_variables(self.net.variables, config['checkpoint_path']),
        config['checkpoint_path'], exclude, config['ignore_missing_vars'],
        suggest_scope=self._logits_scope_of)
    if self.average is not None:
      for shadow, variable in zip(self.average.shadows, self.average.averaged, strict=True):
        shadow.assign(variable)
    self.say('fine-tuning from %s: %s' % (config['checkpoint_path'], report))

  def _logits_scope_of(self, name):
    for scope in self.spec.logits_scopes:
      if checkpoints.in_scopes(name, [scope]):
        return scope
    return name.rsplit('/', 1)[0]

  def step_function(self):
    """The `tf.function` of one training step, one optimizer update: (images, labels)
    per replica, --gradient_accumulation_steps micro-batches long -> (loss,
    regularization, accuracy) of the update."""
    config, num_classes = self.config, self.data.num_classes
    clip = config['clip_gradient_norm']
    micro_batches = self.accumulation

    def micro_step(images, labels, unconnected=tf.UnconnectedGradients.NONE):
      """Gradients of one micro-batch's share of the update's loss, and its (loss,
      regularization, correct predictions). Batch norm normalizes by, and updates its
      moving averages with, each micro-batch's statistics."""
      with tf.GradientTape() as tape:
        logits, end_points = self.net(images, training=True)
        per_example = losses.training_loss(labels, logits, end_points, num_classes,
                                           config['label_smoothing'])
        loss = tf.nn.compute_average_loss(per_example, global_batch_size=self.global_batch)
        regularization = (tf.add_n(self.net.losses) / (self.replicas * micro_batches)
                          if self.net.losses else tf.constant(0.0))
        total = loss + regularization
        if self.loss_scaling:
          total = self.optimizer.get_scaled_loss(total)
      grads = tape.gradient(total, self.trainable, unconnected_gradients=unconnected)
      correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int64),
                                               losses.dominant_labels(labels)), tf.float32))
      return grads, (loss, regularization, correct)

    def replica_step(images, labels):
      if micro_batches == 1:
        grads, results = micro_step(images, labels)
      else:
        grads, results = accumulate(
            lambda x, y: micro_step(x, y, tf.UnconnectedGradients.ZERO), (images, labels),
            micro_batches, [tf.zeros_like(v) for v in self.trainable])
      if self.loss_scaling:
        grads = self.optimizer.get_unscaled_gradients(grads)
      if clip:
        grads, _ = tf.clip_by_global_norm(grads, clip)
      self.optimizer.apply_gradients(zip(grads, self.trainable, strict=True))
      if self.average is not None:
        self.average.update(self.optimizer.iterations)
      return results

    def step(images, labels):
      results = self.strategy.run(replica_step, args=(images, labels))
      loss, regularization, correct = (
          self.strategy.reduce(tf.distribute.ReduceOp.SUM, r, axis=None) for r in results)
      return loss, regularization, correct / self.global_batch

    return tf.function(step, jit_compile=config['jit_compile'] or None)

  def run(self):
    """Trains to --max_number_of_steps (or until SIGINT/SIGTERM); returns the run's
    {'step', 'losses', 'checkpoint', 'skipped'}."""
    if self.chief:
      self._write_config()
    self._restore_or_warm_start()
    dataset = self._dataset()
    writer = (tf.summary.create_file_writer(self.train_dir) if self.chief
              else tf.summary.create_noop_writer())
    step_fn = self.step_function()
    iterator = iter(dataset)
    step = int(self.optimizer.iterations.numpy())
    self._start = self._window = (step, time.time())
    self._last_summary = 0.0
    saver = CheckpointSaver(self.manager, self.net.variables, self.train_dir,
                            self.config['save_interval_steps'], self.config['save_interval_secs'])
    history, traced = [], False
    with signals.StopSignals() as stop:
      while self.max_steps is None or step < self.max_steps:
        images, (loss, regularization, accuracy) = self._train_step(
            step_fn, iterator, writer, step, trace=not traced)
        traced = True
        step = int(self.optimizer.iterations.numpy())
        history.append(_finite_loss(loss, step))
        now = time.time()
        self._report(writer, step, now, history[-1], regularization, accuracy, images)
        saver.save_if_due(step, now)
        if stop.received:
          self._stop(saver, step, stop.received)
    return self._finish(saver, writer, step, history)

  def _write_config(self):
    """The resolved config, with what the run found (dataset, classes, replicas),
    as train_dir/config.yaml."""
    tf.io.gfile.makedirs(self.train_dir)
    config_lib.write(dict(self.config, resolved={
        'dataset': '%s/%s' % (self.data.split.dataset, self.data.split.split),
        'dataset_dir': self.data.split.dataset_dir, 'num_classes': self.data.num_classes,
        'labels_offset': self.data.labels_offset, 'image_size': self.data.image_size,
        'preprocessing': self.data.preprocessing, 'replicas': self.replicas,
        'global_batch_size': self.global_batch}),
        os.path.join(self.train_dir, 'config.yaml'))

  def _dataset(self):
    config = self.config
    return inputs.distributed_dataset(self.strategy, self.data,
                                      config['batch_size'] * self.accumulation, True,
                                      seed=config['seed'],
                                      skip_bad_records=config['skip_bad_records'],
                                      counter=self.counter,
                                      augmentation=self.augmentation)

  def _train_step(self, step_fn, iterator, writer, step, trace):
    """(images, (loss, regularization, accuracy)) of one step on the next batch; with
    `trace`, the step's graph goes to TensorBoard. A lost peer worker stops the job."""
    try:
      images, labels = self._next(iterator)
      with writer.as_default(step=step):
        if trace:
          tf.summary.trace_on(graph=True)
        outputs = step_fn(images, labels)
        if trace:
          tf.summary.trace_export('train_step', step=step)
      return images, outputs
    except strategies.PEER_ERRORS as e:
      if not strategies.is_multi_worker(self.strategy):
        raise
      raise strategies.peer_lost(e, self.strategy, self.manager.latest_checkpoint) from None

  def _report(self, writer, step, now, loss, regularization, accuracy, images):
    """The progress line every --log_every_n_steps steps (and at the last), the
    TensorBoard summaries every --save_summaries_secs seconds."""
    if step % self.config['log_every_n_steps'] == 0 or step == self.max_steps:
      self._log_progress(step, now, loss, regularization, accuracy)
    if now - self._last_summary >= self.config['save_summaries_secs']:
      self._last_summary = now
      self._summaries(writer, step, loss, regularization, accuracy, images, now)

  def _log_progress(self, step, now, loss, regularization, accuracy):
    """The progress line: images/s since the last line, and the ETA at that rate."""
    rate = (step - self._window[0]) * self.global_batch / max(now - self._window[1], 1e-9)
    self._window = (step, now)
    eta = ('  ETA %s' % _format_eta((self.max_steps - step) * self.global_batch / rate)
           if self.max_steps and rate else '')
    skipped = '  skipped %d' % self.counter.skipped if self.counter else ''
    self.say('step %d%s  loss %.4f  reg %.4f  acc %.3f  lr %.3g  %.1f images/s%s%s' % (
        step, '/%d' % self.max_steps if self.max_steps else '', loss, float(regularization),
        float(accuracy), float(self.schedule(step)), rate, eta, skipped))

  def _stop(self, saver, step, signum):
    """Saves step `step` and raises `signals.Stopped` for SIGINT or SIGTERM `signum`."""
    saver.save(step)
    self.say('%s: saved step %d to %s' % (signal.Signals(signum).name, step, self.train_dir))
    raise signals.Stopped(signum, step)

  def _finish(self, saver, writer, step, history):
    """Saves the last step and returns the run's summary; a worker other than the
    chief deletes its own temporary checkpoints."""
    path = saver.save(step)
    writer.flush()
    if not self.chief:
      shutil.rmtree(os.path.dirname(path), ignore_errors=True)
    return {'step': step, 'losses': history, 'checkpoint': path,
            'skipped': self.counter.skipped if self.counter else 0}

  def _next(self, iterator):
    try:
      return next(iterator)
    except tf.errors.OpError as e:
      error = pipeline.explain(e, self.data.split, self.data.num_classes,
                               self.data.labels_offset)
      if error is None:
        raise
      raise error from None

  def _summaries(self, writer, step, loss, regularization, accuracy, images, now):
    rate = (step - self._start[0]) * self.global_batch / max(now - self._start[1], 1e-9)
    with writer.as_default(step=step):
      tf.summary.scalar('losses/classification', loss)
      tf.summary.scalar('losses/regularization', regularization)
      tf.summary.scalar('losses/total', loss + float(regularization))
      tf.summary.scalar('learning_rate', self.schedule(step))
      tf.summary.scalar('accuracy/train', accuracy)
      tf.summary.scalar('images_per_second', rate)
      first = self.strategy.experimental_local_results(images)[0]
      low = tf.reduce_min(first[:4], axis=[1, 2, 3], keepdims=True)
      high = tf.reduce_max(first[:4], axis=[1, 2, 3], keepdims=True)
      tf.summary.image('input', (first[:4] - low) / tf.maximum(high - low, 1e-6), max_outputs=4)


def accumulate(micro_step, batch, count, zero_grads):
  """Sums `micro_step(*micro_batch) -> (grads, three scalar results)` over `count` equal
  slices of `batch` (a tuple of tensors sharing their first dimension: images, labels
  hard or soft), one slice after the other: memory of one micro-batch, `count` times the
  images per update. `zero_grads` starts the sums."""
  slices = tuple(tf.reshape(t, [count, -1 if t.shape[0] is None else t.shape[0] // count]
                            + t.shape[1:].as_list()) for t in batch)

  def body(index, grads, results):
    more_grads, more_results = micro_step(*(s[index] for s in slices))
    grads = [g + tf.convert_to_tensor(m) for g, m in zip(grads, more_grads, strict=True)]
    return index + 1, grads, [r + m for r, m in zip(results, more_results, strict=True)]

  zero_results = [tf.constant(0.0)] * 3
  # One iteration at a time: iterations only share the accumulators, and a parallel
  # one would hold a second micro-batch's activations.
  _, grads, results = tf.while_loop(lambda index, *_: index < count, body,
                                    (tf.constant(0), zero_grads, zero_results),
                                    parallel_iterations=1)
  return grads, tuple(results)


def _finite_loss(loss, step):
  """`loss` as a float; a NaN or Inf loss stops the run."""
  loss = float(loss)
  if not math.isfinite(loss):
    raise FloatingPointError('the loss became %s at step %d; lower --learning_rate or '
                             'set --clip_gradient_norm' % (loss, step))
  return loss


def train(config):
  return Trainer(config).run()
