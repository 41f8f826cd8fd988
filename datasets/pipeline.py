"""The input pipeline: a split's shards -> batches of preprocessed images and labels.

    split = catalog.get_split('flowers', 'train', '/data/flowers')
    dataset = pipeline.make_dataset(split, image_size=299, preprocessing='inception',
                                    batch_size=32, is_training=True, seed=1)

Per worker it reads its share of the shards (`tf.distribute.InputContext`),
reads and decodes in parallel, applies the model's preprocessing, and batches
per replica with AUTOTUNE prefetching. Training shuffles (seeded) and repeats;
evaluation keeps a fixed order and visits every example exactly once.

Training may add per-image augmentations (`augment`: RandAugment, AutoAugment, random
erasing, from `preprocessing.augment`) between the preprocessing's crop and its normalization,
and per-batch mixing (`mix`: Mixup, CutMix, from `datasets.mixing`), which makes the labels
soft ([batch, classes]). Their random draws are stateless, seeded from the seed, the input
pipeline's id and the example's (or batch's) position in the stream, so a seeded run repeats.

Bad data stops the pipeline: a label outside the model's classes fails with
the file and record in the message; any other failure (a corrupt record, an
image that does not decode, a missing feature) is traced back to its file and
record by `explain`. With `skip_bad_records=True` bad records are dropped
instead and a `SkipCounter` counts them.
"""

import random
import re

import tensorflow as tf

from datasets import records
from datasets.records import DataError
from preprocessing import factory as preprocessing_factory

AUTOTUNE = tf.data.AUTOTUNE
_MARK = 'bad record: '


class SkipCounter:
  """Counts records read and examples kept by a pipeline that skips bad records.

  Exact once the pipeline has been read to its end (one evaluation pass); while
  training, the records in flight between reading and decoding count as skipped.
  A corrupt record cuts its shard short; the rest of that shard is not read
  and not counted.
  """

  def __init__(self):
    with tf.init_scope():
      self.read = tf.Variable(0, dtype=tf.int64, trainable=False, name='records_read')
      self.kept = tf.Variable(0, dtype=tf.int64, trainable=False, name='examples_kept')

  @property
  def skipped(self):
    return int(self.read.numpy() - self.kept.numpy())


def _tagged_records(path):
  """(path, index in the file, serialized record) of each record in one file."""
  return tf.data.TFRecordDataset(path, buffer_size=8 << 20).enumerate().map(
      lambda index, record: (path, index, record))


def _check_label(label, path, index, num_classes):
  ok = tf.logical_and(label >= 0, label < num_classes)
  message = tf.strings.join([
      _MARK, path, ' record ', tf.strings.as_string(index), ': label ',
      tf.strings.as_string(label), ' is outside the model classes [0, %d)' % num_classes])
  with tf.control_dependencies([tf.debugging.Assert(ok, [message])]):
    return tf.identity(label)


def _label_and_image(record, num_classes, labels_offset, path, index, check):
  features = records.parse(record)
  label = features['image/class/label'] - labels_offset
  if check:
    label = _check_label(label, path, index, num_classes)
  return records.decode_image(features['image/encoded']), label


def _position_seed(seed, stream, pipeline_id, position):
  """The stateless seed ([2]) of one element: `stream` tells examples from batches."""
  fold = tf.random.experimental.stateless_fold_in
  return fold(fold(tf.constant([seed, stream], tf.int64), pipeline_id), position)


def make_dataset(split, *, image_size, batch_size, is_training, preprocessing='inception',
                 input_context=None, seed=None, labels_offset=0, num_classes=None,
                 skip_bad_records=False, counter=None, shuffle_buffer=None,
                 drop_remainder=None, preprocessing_kwargs=None, augment=None, mix=None):
  """A `tf.data.Dataset` of (float32 images [batch, size, size, 3], int64 labels [batch]),
  or float32 soft labels [batch, num_classes] with `mix`.

  Args:
    split: a `catalog.Split`.
    image_size: the model's input height and width.
    batch_size: the batch of one replica (TF-Slim's --batch_size).
    is_training: shuffle, repeat and distort; else one pass in a fixed order.
    preprocessing: a name of `preprocessing.factory` or `fn(image, h, w)`.
    input_context: a `tf.distribute.InputContext`: read this pipeline's share.
    seed: the shuffle seed; with a seed the training order repeats run to run.
    labels_offset: subtracted from every label (`split.labels_offset(classes)`).
    num_classes: the model's classes; labels outside [0, num_classes) are
      errors. Defaults to the split's classes less `labels_offset`.
    skip_bad_records: drop bad records instead of failing.
    counter: a `SkipCounter` to count what `skip_bad_records` dropped.
    shuffle_buffer: examples in the shuffle buffer (training); default 16 batches,
      at least 1024.
    drop_remainder: drop a last partial batch; default: when training.
    preprocessing_kwargs: more keyword arguments of the preprocessing function.
    augment: training only: `fn(pixels, seed) -> pixels` on each image's pixel values in
      [0, 255] after the preprocessing's crop, before its `normalize`
      (`preprocessing.augment.make_augment`).
    mix: training only: `fn(images, labels, seed) -> (images, soft labels)` on each batch
      (`datasets.mixing.make_mix`).
  """
  if (augment or mix) and not is_training:
    raise ValueError('augment and mix are for training (is_training=True)')
  if num_classes is None:
    num_classes = split.num_classes - labels_offset
  if callable(preprocessing):
    preprocess = preprocessing
  else:
    preprocess = preprocessing_factory.get_preprocessing(preprocessing, is_training=is_training)
  kwargs = dict(preprocessing_kwargs or {})
  deterministic = not is_training or seed is not None
  pipelines = input_context.num_input_pipelines if input_context else 1
  pipeline_id = input_context.input_pipeline_id if input_context else 0
  if seed is not None:
    random_seed = seed
  else:  # unseeded: a fresh stream of augmentations each run
    random_seed = random.SystemRandom().randrange(2 ** 31)

  files = tf.data.Dataset.from_tensor_slices(list(split.files))
  shard_files = pipelines > 1 and len(split.files) >= pipelines
  if shard_files:
    files = files.shard(pipelines, pipeline_id)
  if is_training:
    files = files.shuffle(len(split.files), seed=seed, reshuffle_each_iteration=True)

  def read(path):
    dataset = _tagged_records(path)
    return dataset.ignore_errors() if skip_bad_records else dataset

  dataset = files.interleave(read, cycle_length=min(len(split.files), 16),
                             num_parallel_calls=AUTOTUNE, deterministic=deterministic)
  if pipelines > 1 and not shard_files:
    dataset = dataset.shard(pipelines, pipeline_id)
  if counter is not None:
    dataset = dataset.map(lambda *x: (counter.read.assign_add(1), x)[1])
  if is_training:
    buffer = shuffle_buffer or max(1024, 16 * batch_size)
    dataset = dataset.shuffle(buffer, seed=seed, reshuffle_each_iteration=True).repeat()

  def example(path, index, record, position=None):
    image, label = _label_and_image(record, num_classes, labels_offset, path, index,
                                    check=not skip_bad_records)
    if augment is None:
      return preprocess(image, image_size, image_size, **kwargs), label
    pixels = preprocess(image, image_size, image_size, normalized=False, **kwargs)
    pixels = augment(pixels, _position_seed(random_seed, 0, pipeline_id, position))
    return preprocess.normalize(pixels), label

  if augment is not None:
    dataset = dataset.enumerate().map(
        lambda position, element: example(*element, position=position),
        num_parallel_calls=AUTOTUNE, deterministic=deterministic)
  else:
    dataset = dataset.map(example, num_parallel_calls=AUTOTUNE, deterministic=deterministic)
  if skip_bad_records:
    in_range = lambda image, label: tf.logical_and(label >= 0, label < num_classes)
    dataset = dataset.ignore_errors().filter(in_range)
    if counter is not None:
      dataset = dataset.map(lambda *x: (counter.kept.assign_add(1), x)[1])
  if drop_remainder is None:
    drop_remainder = is_training
  dataset = dataset.batch(batch_size, drop_remainder=drop_remainder,
                          num_parallel_calls=AUTOTUNE, deterministic=deterministic)
  if mix is not None:
    dataset = dataset.enumerate().map(
        lambda position, batch: mix(*batch, _position_seed(random_seed, 1, pipeline_id,
                                                           position)),
        num_parallel_calls=AUTOTUNE, deterministic=deterministic)
  options = tf.data.Options()
  options.deterministic = deterministic
  options.autotune.enabled = True
  return dataset.with_options(options).prefetch(AUTOTUNE)


def _record_problem(record, path, index, num_classes, labels_offset):
  """Why one record is bad, or None."""
  try:
    features = records.parse(record)
  except tf.errors.OpError as e:
    return 'not a TF-Slim image Example (%s)' % records.error_text(e)
  label = int(features['image/class/label']) - labels_offset
  if not 0 <= label < num_classes:
    return 'label %d is outside the model classes [0, %d)' % (label, num_classes)
  fmt = features['image/format'].numpy().decode(errors='replace')
  try:
    records.decode_image(features['image/encoded'])
  except tf.errors.OpError:
    return 'image/encoded (format %r) is not a decodable JPEG, PNG, GIF or BMP image' % fmt
  return None


def find_bad_record(files, num_classes, labels_offset=0):
  """(path, record index, reason) of the first bad record in `files`, or None.

  A full scan: what `explain` runs after the pipeline failed.
  """
  for path in files:
    index = 0
    try:
      for record in tf.data.TFRecordDataset(path):
        problem = _record_problem(record, path, index, num_classes, labels_offset)
        if problem:
          return path, index, problem
        index += 1
    except tf.errors.DataLossError as e:
      return path, index, 'corrupt (%s): the file is truncated or damaged' % records.error_text(e)
    except tf.errors.OpError as e:
      return path, index, records.error_text(e)
  return None


def explain(error, split, num_classes=None, labels_offset=0):
  """A `DataError` naming the file and record behind `error`, a TF error raised
  while reading `make_dataset(split, ...)`; None when the data is not to blame."""
  match = re.search(re.escape(_MARK) + r'(.*?)\]?$', error.message.split('\n')[0])
  if match:
    return DataError(match.group(1).rstrip(']').strip())
  if num_classes is None:
    num_classes = split.num_classes - labels_offset
  found = find_bad_record(split.files, num_classes, labels_offset)
  if found is None:
    return None
  return DataError('%s record %d: %s' % found)


def iterate(dataset, split, num_classes=None, labels_offset=0):
  """Yields the elements of `dataset`, turning a data failure into a `DataError`."""
  iterator = iter(dataset)
  while True:
    try:
      element = next(iterator)
    except StopIteration:
      return
    except tf.errors.OpError as e:
      data_error = explain(e, split, num_classes, labels_offset)
      if data_error is None:
        raise
      raise data_error from None
    yield element
