"""TF-Slim's TFRecord format: one `tf.train.Example` per image, and `labels.txt`.

Records made by TF-Slim's converters read as they are, and ours read in
TF-Slim. The features:

  image/encoded      bytes   the encoded image (JPEG, PNG, GIF or BMP)
  image/format       bytes   b'jpeg', b'png', ...
  image/class/label  int64   the class id
  image/height       int64
  image/width        int64

Converters may add more (`image/class/synset`, `image/filename`, ...); readers
ignore what they do not know.
"""

import os
import re

import tensorflow as tf

from datasets import files

LABELS_FILENAME = 'labels.txt'

# Image formats by their first bytes; what `decode_image` reads.
_MAGIC = ((b'\xff\xd8\xff', 'jpeg'), (b'\x89PNG', 'png'), (b'GIF8', 'gif'), (b'BM', 'bmp'))
IMAGE_FORMATS = tuple(name for _, name in _MAGIC)


class DataError(ValueError):
  """Bad data: the message names the file (and record) and what is wrong."""


def error_text(error):
  """The first line of a TF error's message without TF's op and function names."""
  text = error.message.split('\n')[0]
  text = re.sub(r'\{\{function_node [^}]*\}\}\s*', '', text)
  return re.sub(r'\s*\[Op:\w+\].*$', '', text).strip()


def image_format(encoded):
  """'jpeg', 'png', 'gif' or 'bmp' from an encoded image's first bytes, else None."""
  for magic, name in _MAGIC:
    if encoded.startswith(magic):
      return name
  return None


def _int64(values):
  return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def _bytes(values):
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=values))


def _feature(value):
  if isinstance(value, (bytes, str)):
    return _bytes([value.encode() if isinstance(value, str) else value])
  if isinstance(value, int):
    return _int64([value])
  raise TypeError('feature values are bytes, str or int, not %r' % type(value).__name__)


def image_example(encoded, fmt, label, height, width, **extra):
  """A serialized Example of TF-Slim's format.

  Args:
    encoded: the encoded image bytes.
    fmt: its format ('jpeg', 'png', ...).
    label: the class id.
    height, width: the image size.
    **extra: more features by name with '/' written as '__'
      (`image__class__synset='n01440764'`), bytes, str or int.
  """
  features = {
      'image/encoded': _bytes([encoded]),
      'image/format': _bytes([fmt.encode()]),
      'image/class/label': _int64([int(label)]),
      'image/height': _int64([int(height)]),
      'image/width': _int64([int(width)]),
  }
  for key, value in extra.items():
    features[key.replace('__', '/')] = _feature(value)
  example = tf.train.Example(features=tf.train.Features(feature=features))
  return example.SerializeToString(deterministic=True)  # map order fixed: same bytes each run


# What readers need. A missing image or label is an error, not a default.
FEATURES = {
    'image/encoded': tf.io.FixedLenFeature([], tf.string),
    'image/format': tf.io.FixedLenFeature([], tf.string, default_value='jpeg'),
    'image/class/label': tf.io.FixedLenFeature([], tf.int64),
}


def parse(serialized):
  """{'image/encoded', 'image/format', 'image/class/label'} of one record."""
  return tf.io.parse_single_example(serialized, FEATURES)


def decode_image(encoded):
  """uint8 [height, width, 3] RGB from JPEG (CMYK too), PNG, GIF or BMP bytes;
  grayscale and RGBA come out as 3-channel RGB."""
  image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
  image.set_shape([None, None, 3])
  return image


def write_labels(labels, directory, filename=LABELS_FILENAME):
  """Writes {id: name} as TF-Slim's `labels.txt` (`id:name` per line)."""
  files.write_whole(os.path.join(directory, filename),
              ''.join('%d:%s\n' % (label, labels[label]) for label in sorted(labels)))


def has_labels(directory, filename=LABELS_FILENAME):
  return tf.io.gfile.exists(os.path.join(directory, filename))


def read_labels(directory, filename=LABELS_FILENAME):
  """{id: name} from TF-Slim's `labels.txt`.

  Raises:
    DataError: a line that is not `id:name`, or a repeated id.
  """
  path = os.path.join(directory, filename)
  labels = {}
  with tf.io.gfile.GFile(path) as f:
    for number, line in enumerate(f, 1):
      line = line.rstrip('\n')
      if not line.strip():
        continue
      key, sep, name = line.partition(':')
      if not sep or not key.strip().isdigit():
        raise DataError('%s line %d: %r is not "id:name" (e.g. "0:daisy")' % (path, number, line))
      if int(key) in labels:
        raise DataError('%s line %d: id %s appears twice' % (path, number, key))
      labels[int(key)] = name
  return labels
