"""Converts images to TF-Slim's sharded TFRecords. Nothing is downloaded: inputs are paths.

  python -m datasets.convert images   --input=flower_photos --output_dir=/data/flowers \
      --name=flowers --validation_size=350
  python -m datasets.convert cifar10  --input=cifar-10-python.tar.gz --output_dir=/data/cifar10
  python -m datasets.convert mnist    --input=/downloads/mnist --output_dir=/data/mnist
  python -m datasets.convert imagenet --input=/downloads/imagenet --output_dir=/data/imagenet \
      --validation_labels=imagenet_2012_validation_synset_labels.txt

Writes `<name>_<split>_NNNNN-of-NNNNN.tfrecord`, `labels.txt` and
`<name>_splits.json` (the split sizes) to --output_dir. Each split is written
completely or not at all; existing shards are kept unless --overwrite.
"""

import os
import sys

import tflogs

if __name__ == '__main__':
  tflogs.quiet()  # first, before TensorFlow loads and writes its start-up lines

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from datasets import catalog, records, sources, writer  # noqa: E402
from datasets.records import DataError  # noqa: E402

SOURCES = ('images', 'cifar10', 'mnist', 'imagenet')
# (train shards, evaluation shards) when the flags leave them out.
DEFAULT_SHARDS = {'images': (5, 1), 'cifar10': (5, 1), 'mnist': (5, 1), 'imagenet': (1024, 128)}


def define_flags():
  """Only when run as a binary, as datasets.extract: tests import convert(), and absl has one
  registry (--seed, --overwrite, --output_dir are other modules' flags too)."""
  flags.DEFINE_string('input', None, 'The source: an image folder, the CIFAR-10 archive, the '
                      'MNIST directory or the ImageNet directory.')
  flags.DEFINE_string('output_dir', None, 'Where the shards, labels.txt and sizes go.')
  flags.DEFINE_string('name', None, 'Dataset name, the shards\' prefix (default: the folder '
                      'name for images; cifar10, mnist, imagenet).')
  flags.DEFINE_string('validation_size', '10%', 'images: validation examples, a count (350) or '
                      'a percentage (10%).')
  flags.DEFINE_integer('train_shards', None, 'Shards of the training split.')
  flags.DEFINE_integer('eval_shards', None, 'Shards of the validation or test split.')
  flags.DEFINE_integer('seed', 0, 'Seed of the shuffle before sharding and of the validation '
                       'split.')
  flags.DEFINE_boolean('overwrite', False, 'Replace existing shards of the same splits.')
  flags.DEFINE_boolean('skip_bad_images', False, 'Leave out files that are not decodable images '
                       '(and list them) instead of stopping.')
  flags.DEFINE_string('validation_labels', None, 'imagenet: one synset per line for a flat val/ '
                      'folder, in the sorted order of its files.')
  flags.DEFINE_string('synset_names', None, 'imagenet: lines "n01440764 tench, Tinca tinca" '
                      'for human-readable labels.txt.')


FLAGS = flags.FLAGS


def read_source(kind, input, name, validation_size, seed, skip_bad_images, validation_labels,
                synset_names):
  if kind == 'images':
    return sources.image_folder(input, name or os.path.basename(os.path.normpath(input)),
                                validation_size, seed, skip_bad_images)
  if kind == 'cifar10':
    return sources.cifar10(input)
  if kind == 'mnist':
    return sources.mnist(input)
  return sources.imagenet(input, validation_labels, synset_names, seed, skip_bad_images)


def convert(kind, input, output_dir, name=None, validation_size='10%', train_shards=None,
            eval_shards=None, seed=0, overwrite=False, skip_bad_images=False,
            validation_labels=None, synset_names=None):
  """Converts `input` of source `kind` (one of SOURCES) as the flags of the same
  names say; returns {split: (shard paths, records)}."""
  source = read_source(kind, input, name, validation_size, seed, skip_bad_images,
                       validation_labels, synset_names)
  name = name or source.name
  default_train, default_eval = DEFAULT_SHARDS[kind]
  written = {}
  for split, items in source.splits.items():
    shards = (train_shards or default_train) if split == 'train' else (
        eval_shards or default_eval)
    written[split] = writer.write_split(items, source.encode, output_dir, name, split, shards,
                                        overwrite=overwrite)
    print('%s/%s: %d records in %d shards' % (name, split, written[split][1],
                                              len(written[split][0])))
  records.write_labels(source.labels, output_dir)
  catalog.record_sizes(output_dir, name, written)
  for path in source.skipped:
    print('skipped (not a decodable image): %s' % path)
  if source.skipped:
    print('skipped %d bad image(s)' % len(source.skipped))
  return written


def main(argv):
  if len(argv) != 2 or argv[1] not in SOURCES:
    raise app.UsageError('name one source: python -m datasets.convert {%s} --input=... '
                         '--output_dir=...' % ','.join(SOURCES))
  for flag in ('input', 'output_dir'):
    if not FLAGS[flag].value:
      raise app.UsageError('--%s is required' % flag)
  names = ('input', 'output_dir', 'name', 'validation_size', 'train_shards', 'eval_shards',
           'seed', 'overwrite', 'skip_bad_images', 'validation_labels', 'synset_names')
  try:
    convert(argv[1], **{n: FLAGS[n].value for n in names})
  except (DataError, OSError) as e:
    print('datasets.convert: error: %s' % e, file=sys.stderr)
    sys.exit(1)


if __name__ == '__main__':
  define_flags()
  app.run(main)
