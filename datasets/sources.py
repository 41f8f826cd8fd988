"""What the converters read: image folders, the CIFAR-10 and MNIST archives, ImageNet's layout.

Each reader returns a `Source`: per split, the items to convert and how to
encode one item as a TF-Slim Example, plus the label names. Nothing here
downloads: every input is a path.
"""

import dataclasses
import gzip
import io
import os
import pickle
import random
import struct
import tarfile
import threading

import numpy as np
import tensorflow as tf

from datasets import records
from datasets.records import DataError


@dataclasses.dataclass
class Source:
  """splits: split -> list of items; encode: fn(item) -> serialized Example or None;
  labels: {id: name}; skipped: paths of bad images left out (with --skip_bad_images)."""
  name: str
  splits: dict
  encode: object
  labels: dict
  skipped: list = dataclasses.field(default_factory=list)


def _listdir(path, what):
  if not os.path.isdir(path):
    raise DataError('%s %s does not exist or is not a directory' % (what, path))
  return sorted(n for n in os.listdir(path) if not n.startswith('.'))


class FileEncoder:
  """Encodes (path, label, extra features) items, checking that each image decodes.

  The file's bytes are stored as they are, with the format read from its first
  bytes (ImageNet has PNGs named .JPEG). A file that is not a decodable JPEG,
  PNG, GIF or BMP image stops the conversion, or with `skip_bad` is left out
  and listed in `skipped`.
  """

  def __init__(self, skip_bad=False):
    self.skip_bad = skip_bad
    self.skipped = []
    self._lock = threading.Lock()

  def __call__(self, item):
    path, label, extra = item
    with open(path, 'rb') as f:
      encoded = f.read()
    fmt = records.image_format(encoded)
    try:
      if fmt is None:
        raise ValueError('unknown format')
      height, width, _ = records.decode_image(encoded).shape
    except (ValueError, tf.errors.OpError):
      if not self.skip_bad:
        raise DataError('%s is not a decodable JPEG, PNG, GIF or BMP image; remove it or pass '
                        '--skip_bad_images' % path) from None
      with self._lock:
        self.skipped.append(path)
      return None
    return records.image_example(encoded, fmt, label, height, width,
                                 image__filename=os.path.basename(path), **extra)


def _parse_size(size, total):
  """'350' -> 350 examples; '10%' -> 10% of total."""
  text = str(size).strip()
  try:
    count = round(total * float(text[:-1]) / 100) if text.endswith('%') else int(text)
  except ValueError:
    raise DataError('--validation_size=%s is neither a count (350) nor a percentage (10%%)'
                    % size) from None
  if not 0 <= count < total:
    raise DataError('--validation_size=%s leaves no training examples of %d' % (size, total))
  return count


def image_folder(input_dir, name, validation_size='10%', seed=0, skip_bad=False):
  """input_dir/<class>/<image>: classes in sorted order get labels 0, 1, ...;
  a seeded shuffle puts `validation_size` examples in 'validation'."""
  classes = [c for c in _listdir(input_dir, 'image folder')
             if os.path.isdir(os.path.join(input_dir, c))]
  if not classes:
    raise DataError('%s has no class sub-folders (expected %s/<class>/<image>)'
                    % (input_dir, input_dir))
  items = []
  for label, cls in enumerate(classes):
    folder = os.path.join(input_dir, cls)
    files = [os.path.join(folder, f) for f in _listdir(folder, 'class folder')
             if os.path.isfile(os.path.join(folder, f))]
    if not files:
      raise DataError('class folder %s holds no images' % folder)
    items += [(f, label, {}) for f in files]
  random.Random(seed).shuffle(items)
  count = _parse_size(validation_size, len(items))
  encoder = FileEncoder(skip_bad)
  splits = {'train': items[count:]}
  if count:
    splits['validation'] = items[:count]
  return Source(name, splits, encoder, dict(enumerate(classes)), encoder.skipped)


def encode_array(item):
  image, label = item
  encoded = tf.io.encode_png(image).numpy()
  return records.image_example(encoded, 'png', label, image.shape[0], image.shape[1])


class _NumpyOnly(pickle.Unpickler):
  """Unpickles CIFAR's batches and nothing else: no arbitrary code from a file."""

  _ALLOWED = {('numpy.core.multiarray', '_reconstruct'), ('numpy._core.multiarray', '_reconstruct'),
              ('numpy', 'ndarray'), ('numpy', 'dtype'), ('numpy.core.multiarray', 'scalar'),
              ('numpy._core.multiarray', 'scalar'), ('_codecs', 'encode'),
              ('numpy.core.numeric', '_frombuffer'), ('numpy._core.numeric', '_frombuffer')}

  def find_class(self, module, name):
    if (module, name) not in self._ALLOWED:
      raise pickle.UnpicklingError('%s.%s is not allowed in a CIFAR batch' % (module, name))
    return super().find_class(module, name)


def cifar10(archive):
  """CIFAR-10's python archive (cifar-10-python.tar.gz): 'train' from data_batch_1..5,
  'test' from test_batch, label names from batches.meta."""
  if not os.path.isfile(archive):
    raise DataError('CIFAR-10 archive %s does not exist (cifar-10-python.tar.gz)' % archive)
  batches = {}
  try:
    with tarfile.open(archive) as tar:
      for member in tar.getmembers():
        base = os.path.basename(member.name)
        if member.isfile() and (base.startswith(('data_batch_', 'test_batch'))
                                or base == 'batches.meta'):
          data = _NumpyOnly(io.BytesIO(tar.extractfile(member).read()), encoding='bytes').load()
          batches[base] = data
  except (tarfile.TarError, pickle.UnpicklingError, EOFError, OSError) as e:
    raise DataError('%s is not CIFAR-10\'s python archive: %s' % (archive, e)) from None
  train = sorted(b for b in batches if b.startswith('data_batch_'))
  if not train or 'test_batch' not in batches:
    raise DataError('%s holds no data_batch_* and test_batch files of CIFAR-10' % archive)

  def examples(names):
    items = []
    for batch_name in names:
      batch = batches[batch_name]
      images = np.asarray(batch[b'data'], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
      items += list(zip(images, (int(x) for x in batch[b'labels']), strict=True))
    return items

  meta = batches.get('batches.meta', {})
  names = [n.decode() for n in meta.get(b'label_names', [])] or [str(i) for i in range(10)]
  return Source('cifar10', {'train': examples(train), 'test': examples(['test_batch'])},
                encode_array, dict(enumerate(names)))


_MNIST_FILES = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
                'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')}
DIGIT_NAMES = ('zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine')


def _read_idx(directory, stem, magic):
  for path in (os.path.join(directory, stem + '.gz'), os.path.join(directory, stem)):
    if os.path.isfile(path):
      opener = gzip.open if path.endswith('.gz') else open
      try:
        with opener(path, 'rb') as f:
          data = f.read()
        found, count = struct.unpack('>II', data[:8])
      except (OSError, struct.error) as e:
        raise DataError('%s is not an MNIST idx file: %s' % (path, e)) from None
      if found != magic:
        raise DataError('%s is not an MNIST idx file (magic %d, expected %d)'
                        % (path, found, magic))
      header = 16 if magic == 2051 else 8
      array = np.frombuffer(data, np.uint8, offset=header)
      if magic == 2051:
        rows, cols = struct.unpack('>II', data[8:16])
        if array.size != count * rows * cols:
          raise DataError('%s is truncated: %d of %d bytes'
                          % (path, array.size, count * rows * cols))
        return array.reshape(count, rows, cols, 1)
      if array.size != count:
        raise DataError('%s is truncated: %d of %d labels' % (path, array.size, count))
      return array
  raise DataError('%s has no %s(.gz) of MNIST' % (directory, stem))


def mnist(directory):
  """MNIST's four idx files (gzipped or not) in `directory`: 'train' and 'test'."""
  _listdir(directory, 'MNIST directory')
  splits = {}
  for split, (images_stem, labels_stem) in _MNIST_FILES.items():
    images = _read_idx(directory, images_stem, 2051)
    labels = _read_idx(directory, labels_stem, 2049)
    if len(images) != len(labels):
      raise DataError('%s: %d images but %d labels' % (directory, len(images), len(labels)))
    splits[split] = list(zip(images, (int(x) for x in labels), strict=True))
  return Source('mnist', splits, encode_array, dict(enumerate(DIGIT_NAMES)))


def _read_synset_names(path):
  """{synset: human name} from lines 'n01440764<tab or space>tench, Tinca tinca'."""
  names = {}
  with open(path) as f:
    for line in f:
      parts = line.strip().split(None, 1)
      if parts:
        names[parts[0]] = parts[1] if len(parts) > 1 else parts[0]
  return names


def imagenet(input_dir, validation_labels=None, synset_names=None, seed=0, skip_bad=False):
  """ImageNet's layout: train/<synset>/*.JPEG and val/ (or validation/) either by
  synset or flat with `validation_labels` (one synset per line, in the sorted
  order of the files). Labels follow TF-Slim: 0 is background, synsets in
  sorted order are 1..1000."""
  _listdir(input_dir, 'ImageNet directory')
  train_dir = os.path.join(input_dir, 'train')
  synsets = [s for s in _listdir(train_dir, 'ImageNet train folder')
             if os.path.isdir(os.path.join(train_dir, s))]
  if not synsets:
    raise DataError('%s has no synset folders (train/n01440764/...)' % train_dir)
  label_of = {s: i + 1 for i, s in enumerate(synsets)}

  def item(path, synset):
    if synset not in label_of:
      raise DataError('%s: synset %s is not among the %d train synsets' % (path, synset,
                                                                          len(synsets)))
    return path, label_of[synset], {'image__class__synset': synset}

  train = [item(os.path.join(train_dir, s, f), s) for s in synsets
           for f in _listdir(os.path.join(train_dir, s), 'synset folder')]
  random.Random(seed).shuffle(train)
  val_dir = next((os.path.join(input_dir, d) for d in ('val', 'validation')
                  if os.path.isdir(os.path.join(input_dir, d))), None)
  splits = {'train': train}
  if val_dir:
    entries = _listdir(val_dir, 'ImageNet validation folder')
    if all(os.path.isdir(os.path.join(val_dir, e)) for e in entries):
      splits['validation'] = [item(os.path.join(val_dir, s, f), s) for s in entries
                              for f in _listdir(os.path.join(val_dir, s), 'synset folder')]
    else:
      if not validation_labels:
        raise DataError('%s is flat: pass --validation_labels (one synset per line, e.g. '
                        'imagenet_2012_validation_synset_labels.txt)' % val_dir)
      with open(validation_labels) as f:
        labels = [line.strip() for line in f if line.strip()]
      if len(labels) != len(entries):
        raise DataError('--validation_labels=%s has %d lines for %d files in %s'
                        % (validation_labels, len(labels), len(entries), val_dir))
      splits['validation'] = [item(os.path.join(val_dir, f), s)
                              for f, s in zip(entries, labels, strict=True)]
  names = _read_synset_names(synset_names) if synset_names else {}
  labels = {0: 'background'}
  labels.update({label_of[s]: names.get(s, s) for s in synsets})
  encoder = FileEncoder(skip_bad)
  return Source('imagenet', splits, encoder, labels, encoder.skipped)
