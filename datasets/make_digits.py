"""Builds the embedded demo dataset, datasets/digits/, from scikit-learn's copy of UCI's digits.

  python -m datasets.make_digits --source=path/to/sklearn/datasets/data/digits.csv.gz

The source is the 1,797 8x8 hand-written digits (pixel values 0..16, the last
column the label) that scikit-learn ships; without --source the script takes
the file from an installed scikit-learn. Every sixth example (index 5, 11, ...)
goes to 'validation', the rest to 'train'. Pixels are scaled to 0..255 and
stored as 8x8 grayscale PNGs, which the pipeline decodes to RGB.
"""

import gzip
import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import numpy as np  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from datasets import catalog, records, sources, writer  # noqa: E402

FLAGS = flags.FLAGS

SHARDS = {'train': 2, 'validation': 1}


def load(path):
  """(uint8 images [n, 8, 8, 1] in 0..255, int labels [n])."""
  with gzip.open(path, 'rt') as f:
    table = np.loadtxt(f, delimiter=',', dtype=np.int64)
  pixels, labels = table[:, :-1], table[:, -1]
  images = (pixels * 255 // 16).astype(np.uint8).reshape(-1, 8, 8, 1)
  return images, labels


def split(images, labels):
  validation = np.arange(len(labels)) % 6 == 5
  pairs = lambda mask: list(zip(images[mask], (int(x) for x in labels[mask]), strict=True))
  return {'train': pairs(~validation), 'validation': pairs(validation)}


def main(argv):
  del argv
  path = FLAGS.source
  if path is None:
    import sklearn.datasets  # only for its data file
    path = os.path.join(os.path.dirname(sklearn.datasets.__file__), 'data', 'digits.csv.gz')
  images, labels = load(path)
  written = {}
  for name, items in split(images, labels).items():
    written[name] = writer.write_split(items, sources.encode_array, FLAGS.output_dir, 'digits',
                                       name, SHARDS[name], overwrite=True)
    print('digits/%s: %d records' % (name, written[name][1]))
  records.write_labels(dict(enumerate(sources.DIGIT_NAMES)), FLAGS.output_dir)
  catalog.record_sizes(FLAGS.output_dir, 'digits', written)


if __name__ == '__main__':
  # Defined here, not on import: tests import this module beside datasets.convert.
  flags.DEFINE_string('source', None, 'digits.csv.gz of scikit-learn (default: the installed one).')
  flags.DEFINE_string('output_dir', catalog.EMBEDDED_DIR, 'Where the dataset goes.')
  app.run(main)
