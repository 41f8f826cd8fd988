"""What train.py and eval.py read: the split, the label offset, the model's classes, the
training augmentations asked for, and the per-replica input pipeline under a strategy."""

import dataclasses
import re

from absl import logging

import tensorflow as tf

from datasets import catalog, mixing, pipeline
from datasets.records import DataError
from engine.config import ConfigError
from preprocessing import augment as augment_lib

# The flags of the training augmentations (rows of engine.flags.TRAIN; bench.py's too).
AUGMENTATION_FLAGS = ('randaugment', 'autoaugment', 'random_erasing', 'mixup_alpha',
                      'cutmix_alpha', 'mix_prob', 'mix_switch_prob')


@dataclasses.dataclass
class Data:
  split: object           # a datasets.catalog.Split
  labels_offset: int      # subtracted from the split's labels
  num_classes: int        # classes of the model's classifier
  image_size: int
  preprocessing: str
  demo: bool              # the embedded demo dataset, chosen because none was named


@dataclasses.dataclass(frozen=True)
class Augmentation:
  """The training augmentations of a run, checked: per image (`augment`) and per batch
  (`mix`)."""
  randaugment: tuple = (0, 0)     # (ops, magnitude); (0, 0): off
  autoaugment: str = None         # a policy of preprocessing.augment.AUTOAUGMENT_POLICIES
  random_erasing: float = 0.0
  mixup_alpha: float = 0.0
  cutmix_alpha: float = 0.0
  mix_prob: float = 1.0
  mix_switch_prob: float = 0.5

  def augment(self):
    """`fn(pixels, seed) -> pixels`, or None."""
    return augment_lib.make_augment(*self.randaugment, self.autoaugment, self.random_erasing)

  def mix(self, num_classes):
    """`fn(images, labels, seed) -> (images, soft labels)`, or None."""
    return mixing.make_mix(num_classes, self.mixup_alpha, self.cutmix_alpha, self.mix_prob,
                           self.mix_switch_prob)

  def describe(self):
    parts = []
    if self.autoaugment:
      parts.append('AutoAugment %s' % self.autoaugment)
    if self.randaugment[0]:
      parts.append('RandAugment %d ops at magnitude %d' % self.randaugment)
    if self.random_erasing:
      parts.append('random erasing p=%g' % self.random_erasing)
    if self.mixup_alpha or self.cutmix_alpha:
      parts.append('mixup alpha %g, cutmix alpha %g, mix_prob %g, switch %g' % (
          self.mixup_alpha, self.cutmix_alpha, self.mix_prob, self.mix_switch_prob))
    return '; '.join(parts) or 'none'


def _parse_randaugment(value):
  if value in (None, ''):
    return (0, 0)
  match = re.fullmatch(r'\s*(\d+)\s*,\s*(\d+)\s*', str(value))
  if not match or int(match.group(2)) > augment_lib.MAX_MAGNITUDE:
    raise ConfigError('--randaugment=%s: give N,M: N operations per image (an integer >= 0) '
                      'at magnitude M (an integer in 0..%d; 9 or 10 are the paper\'s), e.g. '
                      '--randaugment=2,9' % (value, augment_lib.MAX_MAGNITUDE))
  return int(match.group(1)), int(match.group(2))


def augmentation(config):
  """The `Augmentation` of `config`'s flags (AUGMENTATION_FLAGS; absent ones are off).

  Raises:
    ConfigError: naming the flag with a bad value and what would be valid.
  """
  values = {name: config.get(name) for name in AUGMENTATION_FLAGS
            if config.get(name) is not None}
  policy = values.get('autoaugment') or None
  if policy is not None and policy not in augment_lib.AUTOAUGMENT_POLICIES:
    raise ConfigError('--autoaugment=%s: unknown policy; valid: %s' % (
        policy, ', '.join(augment_lib.AUTOAUGMENT_POLICIES)))
  randaugment = _parse_randaugment(values.get('randaugment'))
  if policy and randaugment[0]:
    raise ConfigError('--autoaugment=%s and --randaugment=%s: give one of them, not both'
                      % (policy, values['randaugment']))
  for name in ('mixup_alpha', 'cutmix_alpha'):
    if values.get(name, 0.0) < 0:
      raise ConfigError('--%s=%s: must be at least 0 (0: off)' % (name, values[name]))
  for name in ('random_erasing', 'mix_prob', 'mix_switch_prob'):
    if name in values and not 0.0 <= values[name] <= 1.0:
      raise ConfigError('--%s=%s: a probability, must be in [0, 1]' % (name, values[name]))
  values.update(randaugment=randaugment, autoaugment=policy)
  return Augmentation(**values)


def _get_split(name, split_names, directory):
  """The first of `split_names` the dataset has (the last one's error if none)."""
  for split_name in split_names[:-1]:
    try:
      return catalog.get_split(name, split_name, directory)
    except DataError:
      pass
  return catalog.get_split(name, split_names[-1], directory)


def resolve(config, spec, default_splits, image_size=None):
  """The data of a run: `config` keys dataset_name, dataset_dir, dataset_split_name,
  labels_offset, num_classes and preprocessing_name. Without dataset_split_name
  the first of `default_splits` that exists is read; without `image_size` the
  model's default size."""
  name, directory = config['dataset_name'], config['dataset_dir']
  demo = not name and not directory
  if demo:
    name = 'digits'
  split_names = [config['dataset_split_name']] if config['dataset_split_name'] else default_splits
  split = _get_split(name, split_names, directory)
  if config['labels_offset'] is not None:
    offset = config['labels_offset']
  elif config['num_classes']:
    offset = split.labels_offset(config['num_classes'])
  else:
    offset = split.labels_offset(spec.num_classes) if split.has_background else 0
  num_classes = config['num_classes'] or split.num_classes - offset
  return Data(split, offset, num_classes,
              image_size or spec.default_image_size,
              config['preprocessing_name'] or spec.preprocessing, demo)


def distributed_dataset(strategy, data, batch_size, is_training, seed=None,
                        skip_bad_records=False, counter=None, augmentation=None):
  """`make_dataset` per input pipeline; `batch_size` is per replica (TF-Slim's), and so
  is the batch that `augmentation` (an `Augmentation`, training only) mixes."""
  global_batch = batch_size * strategy.num_replicas_in_sync
  augmentation = augmentation or Augmentation()

  def dataset_fn(context):
    return pipeline.make_dataset(
        data.split, image_size=data.image_size, preprocessing=data.preprocessing,
        batch_size=context.get_per_replica_batch_size(global_batch), is_training=is_training,
        input_context=context, seed=seed, labels_offset=data.labels_offset,
        num_classes=data.num_classes, skip_bad_records=skip_bad_records, counter=counter,
        preprocessing_kwargs={'add_image_summaries': False}
        if data.preprocessing == 'inception' and is_training else None,
        augment=augmentation.augment(), mix=augmentation.mix(data.num_classes))

  logging.info('input: %s/%s from %s, %d examples, %d per replica x %d replicas; '
               'augmentation: %s', data.split.dataset, data.split.split,
               data.split.dataset_dir, data.split.num_samples, batch_size,
               strategy.num_replicas_in_sync, augmentation.describe())
  return strategy.distribute_datasets_from_function(dataset_fn)


def synthetic(num_classes, image_size, num_samples=1281167):
  """Data of a run on random in-memory images (bench.py): the real pipeline's
  place is taken by `synthetic_dataset`. `num_samples` sets the epoch of the
  learning-rate schedule (ImageNet's by default)."""
  split = catalog.Split('synthetic', 'train', None, (), num_samples, num_classes, False, {})
  return Data(split, 0, num_classes, image_size, 'none', False)


def synthetic_dataset(strategy, data, batch_size, seed=0):
  """One random batch of `data`'s shape, repeated, distributed as the real one
  is: the step's cost without the input pipeline's."""
  global_batch = batch_size * strategy.num_replicas_in_sync
  generator = tf.random.Generator.from_seed(seed)
  images = generator.uniform([global_batch, data.image_size, data.image_size, 3], -1.0, 1.0)
  labels = generator.uniform([global_batch], 0, data.num_classes, tf.int64)
  dataset = tf.data.Dataset.from_tensors((images, labels)).repeat()
  return strategy.experimental_distribute_dataset(dataset)
