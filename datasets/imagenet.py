"""ImageNet's class names, shipped with the project (datasets/imagenet_classes.txt).

The 1000 ILSVRC-2012 classes in ILSVRC's order (their WordNet ids sorted), as
TF-Slim's `imagenet.create_readable_names_for_imagenet_labels()` gives them, but
read from the file here instead of downloaded:

    names = imagenet.create_readable_names_for_imagenet_labels()
    names[0], names[1]   # ('background', 'tench, Tinca tinca')
"""

import functools
import os

CLASSES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'imagenet_classes.txt')
NUM_CLASSES = 1000


@functools.lru_cache(maxsize=None)
def synsets():
  """((WordNet id, names), ...) of the 1000 classes, in label order."""
  with open(CLASSES_FILE, encoding='utf-8') as f:
    rows = tuple(tuple(line.rstrip('\n').split('\t', 1)) for line in f
                 if line.strip() and not line.startswith('#'))
  if len(rows) != NUM_CLASSES:  # a damaged installation, not a user error
    raise RuntimeError('%s holds %d classes, not %d' % (CLASSES_FILE, len(rows), NUM_CLASSES))
  return rows


def class_names(num_classes):
  """The name of each output of a 1001-class (background at 0) or 1000-class model."""
  names = [name for _, name in synsets()]
  if num_classes == NUM_CLASSES + 1:
    return ['background'] + names
  if num_classes == NUM_CLASSES:
    return names
  raise ValueError('ImageNet names 1000 or 1001 classes, not %d' % num_classes)


def create_readable_names_for_imagenet_labels():
  """TF-Slim's {label: name} of the 1001 labels, 0 being 'background'."""
  return dict(enumerate(class_names(NUM_CLASSES + 1)))
