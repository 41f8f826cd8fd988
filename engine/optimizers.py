"""Optimizers and learning-rate schedules with TF-Slim's train_image_classifier names.

Schedules: fixed, exponential (staircase every `num_epochs_per_decay`),
polynomial (to `end_learning_rate`) and cosine, each after an optional linear
warm-up from 0 over `warmup_epochs`.
"""

import math

import tensorflow as tf
import tf_keras

OPTIMIZERS = ('sgd', 'momentum', 'rmsprop', 'adam', 'adamw', 'adagrad', 'adadelta', 'ftrl')
SCHEDULES = ('fixed', 'exponential', 'polynomial', 'cosine')


class OptimizerError(ValueError):
  """An unknown optimizer or schedule, or a bad parameter."""


class Schedule(tf_keras.optimizers.schedules.LearningRateSchedule):
  """A TF-Slim decay after a linear warm-up."""

  def __init__(self, kind, learning_rate, decay_steps, decay_factor, end_learning_rate,
               total_steps, warmup_steps=0):
    super().__init__()
    self.kind = kind
    self.learning_rate = float(learning_rate)
    self.decay_steps = max(1, int(decay_steps))
    self.decay_factor = float(decay_factor)
    self.end_learning_rate = float(end_learning_rate)
    self.total_steps = max(1, int(total_steps))
    self.warmup_steps = int(warmup_steps)

  def _decayed(self, step):
    lr = self.learning_rate
    if self.kind == 'exponential':
      return lr * self.decay_factor ** tf.floor(step / self.decay_steps)
    if self.kind == 'polynomial':
      progress = tf.minimum(step / self.decay_steps, 1.0)
      return (lr - self.end_learning_rate) * (1.0 - progress) + self.end_learning_rate
    if self.kind == 'cosine':
      span = max(1, self.total_steps - self.warmup_steps)
      progress = tf.minimum(tf.maximum(step - self.warmup_steps, 0.0) / span, 1.0)
      cosine = 0.5 * (1.0 + tf.cos(math.pi * progress))
      return self.end_learning_rate + (lr - self.end_learning_rate) * cosine
    return tf.constant(lr)

  def __call__(self, step):
    step = tf.cast(step, tf.float32)
    decayed = self._decayed(step)
    if not self.warmup_steps:
      return decayed
    warm = self.learning_rate * (step + 1.0) / self.warmup_steps
    return tf.where(step < self.warmup_steps, warm, decayed)

  def get_config(self):
    return dict(kind=self.kind, learning_rate=self.learning_rate, decay_steps=self.decay_steps,
                decay_factor=self.decay_factor, end_learning_rate=self.end_learning_rate,
                total_steps=self.total_steps, warmup_steps=self.warmup_steps)


def make_schedule(config, steps_per_epoch, total_steps):
  """The schedule of `config['learning_rate_decay_type']`.

  `steps_per_epoch` is the split's size over the global batch size, as in
  TF-Slim: `num_epochs_per_decay` epochs make one decay period.
  """
  kind = config['learning_rate_decay_type']
  if kind not in SCHEDULES:
    raise OptimizerError('--learning_rate_decay_type=%s is unknown; valid: %s'
                         % (kind, ', '.join(SCHEDULES)))
  if config['learning_rate'] <= 0:
    raise OptimizerError('--learning_rate must be positive, got %g' % config['learning_rate'])
  decay_steps = steps_per_epoch * config['num_epochs_per_decay']
  warmup = int(round(steps_per_epoch * config['warmup_epochs']))
  return Schedule(kind, config['learning_rate'], decay_steps, config['learning_rate_decay_factor'],
                  config['end_learning_rate'], total_steps, warmup)


def make_optimizer(config, learning_rate):
  """The optimizer of `config['optimizer']` with TF-Slim's parameter flags."""
  name = config['optimizer']
  c = config
  eps = c['opt_epsilon']
  makers = {
      'sgd': lambda: tf_keras.optimizers.SGD(learning_rate),
      'momentum': lambda: tf_keras.optimizers.SGD(learning_rate, momentum=c['momentum']),
      'rmsprop': lambda: tf_keras.optimizers.RMSprop(
          learning_rate, rho=c['rmsprop_decay'], momentum=c['rmsprop_momentum'], epsilon=eps),
      'adam': lambda: tf_keras.optimizers.Adam(learning_rate, beta_1=c['adam_beta1'],
                                               beta_2=c['adam_beta2'], epsilon=eps),
      'adamw': lambda: tf_keras.optimizers.AdamW(learning_rate=learning_rate,
                                                 weight_decay=c['adamw_weight_decay'],
                                                 beta_1=c['adam_beta1'],
                                                 beta_2=c['adam_beta2'], epsilon=eps),
      'adagrad': lambda: tf_keras.optimizers.Adagrad(
          learning_rate, initial_accumulator_value=c['adagrad_initial_accumulator_value']),
      'adadelta': lambda: tf_keras.optimizers.Adadelta(learning_rate, rho=c['adadelta_rho'],
                                                       epsilon=eps),
      'ftrl': lambda: tf_keras.optimizers.Ftrl(
          learning_rate, learning_rate_power=c['ftrl_learning_rate_power'],
          initial_accumulator_value=c['ftrl_initial_accumulator_value'],
          l1_regularization_strength=c['ftrl_l1'], l2_regularization_strength=c['ftrl_l2']),
  }
  if name not in makers:
    raise OptimizerError('--optimizer=%s is unknown; valid: %s' % (name, ', '.join(OPTIMIZERS)))
  return makers[name]()
