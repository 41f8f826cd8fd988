"""What train.py and eval.py read: the split, the label offset, the model's classes, and
the per-replica input pipeline under a strategy."""

import dataclasses

from absl import logging

import tensorflow as tf

from datasets import catalog, pipeline
from datasets.records import DataError


@dataclasses.dataclass
class Data:
  split: object           # a datasets.catalog.Split
  labels_offset: int      # subtracted from the split's labels
  num_classes: int        # classes of the model's classifier
  image_size: int
  preprocessing: str
  demo: bool              # the embedded demo dataset, chosen because none was named


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
                        skip_bad_records=False, counter=None):
  """`make_dataset` per input pipeline; `batch_size` is per replica (TF-Slim's)."""
  global_batch = batch_size * strategy.num_replicas_in_sync

  def dataset_fn(context):
    return pipeline.make_dataset(
        data.split, image_size=data.image_size, preprocessing=data.preprocessing,
        batch_size=context.get_per_replica_batch_size(global_batch), is_training=is_training,
        input_context=context, seed=seed, labels_offset=data.labels_offset,
        num_classes=data.num_classes, skip_bad_records=skip_bad_records, counter=counter,
        preprocessing_kwargs={'add_image_summaries': False}
        if data.preprocessing == 'inception' and is_training else None)

  logging.info('input: %s/%s from %s, %d examples, %d per replica x %d replicas',
               data.split.dataset, data.split.split, data.split.dataset_dir,
               data.split.num_samples, batch_size, strategy.num_replicas_in_sync)
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
