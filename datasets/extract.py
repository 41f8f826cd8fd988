"""Writes the first images of a split back out as image files, named by index and label.

  python -m datasets.extract --dataset_name=digits --split_name=validation --count=8 \
      --output_dir=examples

To look at a dataset, or to have files for predict.py. The encoded bytes are
written as they are stored (`00003_7.png` is record 3, label 7).
"""

import os
import re
import sys

import tflogs

if __name__ == '__main__':
  tflogs.quiet()  # first, before TensorFlow loads and writes its start-up lines

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

import tensorflow as tf  # noqa: E402

from datasets import catalog, records  # noqa: E402
from datasets.records import DataError  # noqa: E402


def define_flags():
  """Only when run as a binary: tests import extract() beside datasets.convert, whose flags share
  these names in absl's one global registry."""
  flags.DEFINE_string('dataset_name', 'digits', 'The dataset (as train.py names it).')
  flags.DEFINE_string('dataset_dir', None, 'Its directory (default: the embedded digits).')
  flags.DEFINE_string('split_name', 'validation', 'The split to read.')
  flags.DEFINE_integer('count', 8, 'Images to write.')
  flags.DEFINE_string('output_dir', None, 'Where the image files go.')


def extract(split, count, output_dir):
  """Writes the first `count` images of `split`; returns their paths."""
  os.makedirs(output_dir, exist_ok=True)
  paths = []
  dataset = tf.data.TFRecordDataset(list(split.files)).take(count)
  for index, serialized in enumerate(dataset):
    features = records.parse(serialized)
    encoded = features['image/encoded'].numpy()
    label = int(features['image/class/label'])
    name = re.sub(r'[^\w.-]+', '_', str(split.labels_to_names.get(label, label)))
    extension = {'jpeg': 'jpg'}.get(records.image_format(encoded), records.image_format(encoded))
    path = os.path.join(output_dir, '%05d_%s.%s' % (index, name, extension or 'bin'))
    with open(path, 'wb') as f:
      f.write(encoded)
    paths.append(path)
  return paths


def main(argv):
  del argv
  values = flags.FLAGS
  try:
    if not values.output_dir:
      raise DataError('--output_dir is required')
    split = catalog.get_split(values.dataset_name, values.split_name, values.dataset_dir)
    paths = extract(split, values.count, values.output_dir)
  except DataError as e:
    print('datasets.extract: error: %s' % e, file=sys.stderr)
    sys.exit(1)
  print('%d images of %s/%s in %s' % (len(paths), split.dataset, split.split, values.output_dir))


if __name__ == '__main__':
  define_flags()
  app.run(main)
