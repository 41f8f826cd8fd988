"""Writes one split as shards `<name>_<split>_00000-of-00005.tfrecord`.

The shards are written under a temporary name and renamed into place only when
every one is complete, so an interrupted conversion leaves no partial split
behind, and existing shards are replaced only when asked to.
"""

import concurrent.futures
import os
import shutil
import tempfile

import tensorflow as tf

from datasets.records import DataError


def shard_name(name, split, index, num_shards):
  return '%s_%s_%05d-of-%05d.tfrecord' % (name, split, index, num_shards)


def existing_shards(directory, name, split):
  return sorted(tf.io.gfile.glob(os.path.join(directory, '%s_%s_*.tfrecord' % (name, split))))


def _write_shard(path, items, encode):
  written = 0
  with tf.io.TFRecordWriter(path) as writer:
    for item in items:
      record = encode(item)
      if record is not None:
        writer.write(record)
        written += 1
  return written


def write_split(items, encode, directory, name, split, num_shards, overwrite=False,
                workers=None):
  """Encodes `items` in order into `num_shards` contiguous shards of nearly equal size.

  Args:
    items: the inputs, one per record (file paths, array rows, ...).
    encode: `fn(item) -> serialized Example`, or None to leave the item out;
      it raises `DataError` to stop the whole split.
    directory: the output directory (created when missing).
    name: the dataset name, the shards' prefix.
    split: 'train', 'validation', ...
    num_shards: how many shards (at most one per item).
    overwrite: replace this split's existing shards; otherwise they are an error.
    workers: shards encoded at once; default: the CPU count.

  Returns:
    (shard paths in order, number of records written).
  """
  if num_shards < 1:
    raise DataError('the number of shards must be at least 1, got %d' % num_shards)
  if not items:
    raise DataError('%s/%s has no examples to write' % (name, split))
  num_shards = min(num_shards, len(items))
  old = existing_shards(directory, name, split)
  if old and not overwrite:
    raise DataError('%s already holds %d shard(s) of %s/%s (%s); pass --overwrite to replace '
                    'them' % (directory, len(old), name, split, os.path.basename(old[0])))
  os.makedirs(directory, exist_ok=True)
  staging = tempfile.mkdtemp(prefix='.%s_%s.' % (name, split), dir=directory)
  try:
    names = [shard_name(name, split, index, num_shards) for index in range(num_shards)]
    bounds = [index * len(items) // num_shards for index in range(num_shards + 1)]
    with concurrent.futures.ThreadPoolExecutor(workers or os.cpu_count()) as pool:
      counts = list(pool.map(
          lambda i: _write_shard(os.path.join(staging, names[i]),
                                 items[bounds[i]:bounds[i + 1]], encode),
          range(num_shards)))
    for path in old:
      os.remove(path)
    final = [os.path.join(directory, n) for n in names]
    for shard, target in zip(names, final, strict=True):
      os.replace(os.path.join(staging, shard), target)
    return final, sum(counts)
  finally:
    shutil.rmtree(staging, ignore_errors=True)
