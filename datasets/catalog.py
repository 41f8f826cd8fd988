"""Datasets by name: TF-Slim's built-ins, the embedded demo, and any directory of shards.

`get_split(name, split, dataset_dir)` finds a split's shards and returns a
`Split`: its files, size, classes and label names. Built-in datasets know their
published sizes (TF-Slim's numbers); any other directory that holds
`<name>_<split>_*.tfrecord` shards and `labels.txt` works too, its sizes
counted once and cached beside the shards in `<name>_splits.json`. Converters
write that file, so their output is never counted again.
"""

import dataclasses
import json
import os
import re
from typing import Optional

import tensorflow as tf

from datasets import files, imagenet, records
from datasets.records import DataError

EMBEDDED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'digits')


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """What is known of a dataset before looking at its files.

  Attributes:
    name: the dataset name and shard prefix.
    splits: split -> published number of examples.
    num_classes: label ids run over [0, num_classes).
    has_background: label 0 is an unused 'background' class (ImageNet's 1001
      labels); models with one class fewer read labels shifted by one.
    file_patterns: globs of a split's shards, with {name} and {split}.
    default_dir: where the data lies when no directory is given.
  """
  name: str
  splits: dict
  num_classes: int
  has_background: bool = False
  file_patterns: tuple = ('{name}_{split}*.tfrecord',)
  default_dir: Optional[str] = None


# TF-Slim's datasets. imagenet also reads the shards of TF-Slim's
# build_imagenet_data.py (`train-00000-of-01024`); cifar10 and mnist read
# its single-file splits (`cifar10_train.tfrecord`) as well as shards.
BUILTIN = {info.name: info for info in (
    DatasetInfo('imagenet', {'train': 1281167, 'validation': 50000}, 1001, has_background=True,
                file_patterns=('{split}-*-of-*', '{name}_{split}*.tfrecord')),
    DatasetInfo('flowers', {'train': 3320, 'validation': 350}, 5),
    DatasetInfo('cifar10', {'train': 50000, 'test': 10000}, 10),
    DatasetInfo('mnist', {'train': 60000, 'test': 10000}, 10),
    DatasetInfo('digits', {'train': 1498, 'validation': 299}, 10, default_dir=EMBEDDED_DIR),
)}


@dataclasses.dataclass(frozen=True)
class Split:
  """One split of a dataset, found on disk.

  `num_samples`, `num_classes` and `labels_to_names` are TF-Slim's names.
  """
  dataset: str
  split: str
  dataset_dir: str
  files: tuple
  num_samples: int
  num_classes: int
  has_background: bool
  labels_to_names: dict

  def labels_offset(self, model_classes):
    """How much to subtract from this split's labels for a model with
    `model_classes` outputs: 1 when the data has a background class the model
    lacks (ImageNet's 1001 labels, a 1000-class VGG or ResNet v1), 0 when
    every label fits.

    Raises:
      DataError: when the model's classes fit neither way.
    """
    if model_classes >= self.num_classes:
      return 0  # every label fits
    if self.has_background and model_classes == self.num_classes - 1:
      return 1
    least = self.num_classes - 1 if self.has_background else self.num_classes
    raise DataError('a model with %d classes cannot read %s (labels 0..%d); give the model at '
                    'least %d classes (--num_classes), or fine-tune its logits for this dataset'
                    % (model_classes, self.dataset, self.num_classes - 1, least))


def _sizes_path(directory, name):
  return os.path.join(directory, '%s_splits.json' % name)


def _fingerprint(files):
  return {os.path.basename(f): tf.io.gfile.stat(f).length for f in files}


def count_records(files):
  """The number of records in `files`, naming the file that is corrupt."""
  total = 0
  for path in files:
    try:
      total += int(tf.data.TFRecordDataset(path).reduce(tf.constant(0, tf.int64),
                                                       lambda n, _: n + 1))
    except tf.errors.OpError as e:
      raise DataError('%s: %s' % (path, records.error_text(e))) from None
  return total


def record_sizes(directory, name, split_files):
  """Writes {split: num_samples} with the shards' sizes to `<name>_splits.json`."""
  data = {split: {'num_samples': count, 'shards': _fingerprint(files)}
          for split, (files, count) in split_files.items()}
  old = _read_sizes(directory, name)
  old.update(data)
  files.write_whole(_sizes_path(directory, name), json.dumps(old, indent=1, sort_keys=True))


def _read_sizes(directory, name):
  try:
    with open(_sizes_path(directory, name)) as f:
      data = json.load(f)
    return data if isinstance(data, dict) else {}
  except (OSError, ValueError):
    return {}


def _cached_size(directory, name, split, files):
  entry = _read_sizes(directory, name).get(split)
  if isinstance(entry, dict) and entry.get('shards') == _fingerprint(files):
    return entry.get('num_samples')
  return None


def _split_files(directory, info, split):
  files = set()
  for pattern in info.file_patterns:
    files.update(tf.io.gfile.glob(os.path.join(directory, pattern.format(name=info.name,
                                                                          split=split))))
  # Leave out other splits whose names extend this one (train_extra for train).
  return tuple(sorted(f for f in files
                      if not re.match(r'%s_%s[^_.]' % (re.escape(info.name), re.escape(split)),
                                      os.path.basename(f))))


_SHARD = re.compile(r'^(?P<name>.+?)_(?P<split>[^_]+)(_\d+-of-\d+)?\.tfrecord$')


def found_datasets(directory):
  """{name: sorted splits} of the shards in `directory`."""
  found = {}
  for path in tf.io.gfile.glob(os.path.join(directory, '*.tfrecord')):
    match = _SHARD.match(os.path.basename(path))
    if match:
      found.setdefault(match['name'], set()).add(match['split'])
  return {name: sorted(splits) for name, splits in sorted(found.items())}


def _directory_info(name, directory):
  """A DatasetInfo for a directory of shards and labels.txt."""
  splits = found_datasets(directory)
  if name is None:
    if len(splits) != 1:
      raise DataError('%s holds %s; name the dataset (--dataset_name)' % (
          directory, 'no <name>_<split>_*.tfrecord shards' if not splits else
          'shards of several datasets: %s' % ', '.join(splits)))
    name = next(iter(splits))
  if name not in splits:
    valid = ', '.join(sorted(set(BUILTIN) | set(splits)))
    raise DataError('no dataset %r: %s holds no %s_<split>_*.tfrecord shards, and it is not a '
                    'built-in; valid names: %s' % (name, directory, name, valid))
  if not records.has_labels(directory):
    raise DataError('%s has shards of %s but no %s (one "id:name" line per class)'
                    % (directory, name, records.LABELS_FILENAME))
  labels = records.read_labels(directory)
  if not labels:
    raise DataError('%s is empty' % os.path.join(directory, records.LABELS_FILENAME))
  return DatasetInfo(name, {split: None for split in splits[name]}, max(labels) + 1,
                     has_background=labels.get(0) == 'background')


def get_split(name, split, dataset_dir=None):
  """The split `split` of dataset `name` in `dataset_dir`.

  Args:
    name: a built-in name ('imagenet', 'flowers', 'cifar10', 'mnist', 'digits'),
      the prefix of the shards in `dataset_dir`, or None to take the one
      dataset `dataset_dir` holds.
    split: 'train', 'validation', 'test', ...
    dataset_dir: the directory of the shards; None for the embedded digits.

  Raises:
    DataError: a missing or empty directory, an unknown name or split,
      no shards, a bad labels.txt; the message says what would be valid.
  """
  info = BUILTIN.get(name)
  directory = dataset_dir or (info.default_dir if info else None)
  if directory is None:
    raise DataError('dataset %r needs a directory (--dataset_dir); only %s is built into the '
                    'repo' % (name, ', '.join(n for n, i in BUILTIN.items() if i.default_dir)))
  if not tf.io.gfile.isdir(directory):
    raise DataError('dataset directory %s does not exist' % directory)
  if info is None:
    info = _directory_info(name, directory)
  if split not in info.splits:
    raise DataError('%s has no split %r; valid splits: %s' % (
        info.name, split, ', '.join(info.splits)))
  files = _split_files(directory, info, split)
  if not files:
    patterns = ', '.join(p.format(name=info.name, split=split) for p in info.file_patterns)
    present = found_datasets(directory)
    raise DataError('%s holds no shards of %s/%s (looked for %s)%s' % (
        directory, info.name, split, patterns,
        '; it holds %s' % ', '.join('%s: %s' % (n, '/'.join(s)) for n, s in present.items())
        if present else '; it is empty of .tfrecord files'))
  num_samples = _cached_size(directory, info.name, split, files)
  if num_samples is None:
    num_samples = info.splits[split]
  if num_samples is None:
    num_samples = count_records(files)
    try:
      record_sizes(directory, info.name, {split: (files, num_samples)})
    except OSError:
      pass  # a read-only directory: count again next time
  if records.has_labels(directory):
    labels = records.read_labels(directory)
  elif info.name == 'imagenet':  # as TF-Slim's imagenet.py: the names ship with the code
    labels = imagenet.create_readable_names_for_imagenet_labels()
  else:
    labels = {}
  return Split(info.name, split, directory, files, num_samples, info.num_classes,
               info.has_background, labels)
