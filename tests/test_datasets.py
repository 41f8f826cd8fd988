"""datasets: the record format, the catalog, the embedded digits, the pipeline and bad data."""

import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from datasets import catalog, files, pipeline, records, writer
from datasets.records import DataError

CMYK_JPEG = os.path.join(os.path.dirname(__file__), 'data', 'cmyk.jpg')


def png(value, height=6, width=5, channels=3):
  return tf.io.encode_png(np.full((height, width, channels), value, np.uint8)).numpy()


def write_toy(directory, name='toy', split='train', n=24, classes=4, shards=3, bad=None,
              overwrite=False):
  """n records; record i has pixel value i and label i % classes, so each
  example is identifiable after preprocessing. `bad` maps index -> serialized."""
  bad = bad or {}
  items = list(range(n))
  encode = lambda i: bad.get(i) or records.image_example(png(i), 'png', i % classes, 6, 5)
  paths, _ = writer.write_split(items, encode, directory, name, split, shards, overwrite)
  records.write_labels({c: 'class%d' % c for c in range(classes)}, directory)
  return paths


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
  directory = str(tmp_path_factory.mktemp('toy'))
  write_toy(directory)
  return catalog.get_split('toy', 'train', directory)


def identity(image, height, width):
  """Preprocessing that keeps the pixel value: resize only."""
  return tf.image.resize(tf.cast(image, tf.float32), [height, width], method='nearest')


def pixel_ids(dataset):
  return [int(v) for images, _ in dataset for v in images[:, 0, 0, 0].numpy()]


# The format

def test_example_round_trip_keeps_tf_slim_features():
  serialized = records.image_example(png(7), 'png', 3, 6, 5, image__class__synset='n01')
  example = tf.train.Example.FromString(serialized)
  features = example.features.feature
  assert set(features) == {'image/encoded', 'image/format', 'image/class/label',
                           'image/height', 'image/width', 'image/class/synset'}
  parsed = records.parse(serialized)
  assert int(parsed['image/class/label']) == 3
  assert parsed['image/format'].numpy() == b'png'
  image = records.decode_image(parsed['image/encoded'])
  assert image.shape == (6, 5, 3) and int(image[0, 0, 0]) == 7


@pytest.mark.parametrize('channels', [1, 2, 4])
def test_grayscale_and_alpha_png_decode_to_rgb(channels):
  image = records.decode_image(png(9, channels=channels))
  assert image.shape == (6, 5, 3) and image.dtype == tf.uint8


def test_cmyk_jpeg_decodes_to_rgb():
  with open(CMYK_JPEG, 'rb') as f:
    encoded = f.read()
  assert records.image_format(encoded) == 'jpeg'
  image = records.decode_image(encoded).numpy()
  assert image.shape == (4, 6, 3)
  # The file is pure red in CMYK (0, 255, 255, 0).
  np.testing.assert_allclose(image[0, 0], [255, 0, 0], atol=3)


def test_image_format_by_magic_bytes():
  assert records.image_format(png(1)) == 'png'
  assert records.image_format(tf.io.encode_jpeg(np.zeros((2, 2, 3), np.uint8)).numpy()) == 'jpeg'
  assert records.image_format(b'not an image') is None


def test_a_file_is_written_whole_or_the_old_one_stays(tmp_path):
  path = str(tmp_path / 'results.json')
  files.write_whole(path, 'old\n')
  with pytest.raises(TypeError):  # fails before a byte is written: not text
    files.write_whole(path, object())
  assert (tmp_path / 'results.json').read_text() == 'old\n'
  files.write_whole(path, 'new\n')
  assert (tmp_path / 'results.json').read_text() == 'new\n'
  (tmp_path / 'taken' / 'inside').mkdir(parents=True)
  with pytest.raises(tf.errors.OpError):  # fails after writing it all: the rename
    files.write_whole(str(tmp_path / 'taken'), 'text\n')
  assert sorted(os.listdir(tmp_path)) == ['results.json', 'taken']  # no .tmp left behind


def test_labels_file_round_trip_and_errors(tmp_path):
  records.write_labels({1: 'tench', 0: 'background'}, str(tmp_path))
  assert (tmp_path / 'labels.txt').read_text() == '0:background\n1:tench\n'
  assert records.read_labels(str(tmp_path)) == {0: 'background', 1: 'tench'}
  (tmp_path / 'labels.txt').write_text('0:a\nb\n')
  with pytest.raises(DataError, match=r'labels.txt line 2: .* is not "id:name"'):
    records.read_labels(str(tmp_path))
  (tmp_path / 'labels.txt').write_text('0:a\n0:b\n')
  with pytest.raises(DataError, match='line 2: id 0 appears twice'):
    records.read_labels(str(tmp_path))


# The writer

def test_writer_shards_evenly_in_order_and_refuses_to_overwrite(tmp_path):
  paths = write_toy(str(tmp_path), n=10, shards=3)
  assert [os.path.basename(p) for p in paths] == [
      'toy_train_00000-of-00003.tfrecord', 'toy_train_00001-of-00003.tfrecord',
      'toy_train_00002-of-00003.tfrecord']
  sizes = [sum(1 for _ in tf.data.TFRecordDataset(p)) for p in paths]
  assert sizes == [3, 3, 4]
  before = {p: open(p, 'rb').read() for p in paths}
  with pytest.raises(DataError, match='already holds 3 shard.*pass --overwrite'):
    write_toy(str(tmp_path), n=10, shards=2)
  assert {p: open(p, 'rb').read() for p in paths} == before


def test_failed_split_leaves_existing_shards_and_no_partial_files(tmp_path):
  paths = write_toy(str(tmp_path), n=10, shards=2)
  before = {p: open(p, 'rb').read() for p in paths}

  def failing(i):
    if i == 7:
      raise DataError('boom at 7')
    return records.image_example(png(i), 'png', 0, 6, 5)

  with pytest.raises(DataError, match='boom at 7'):
    writer.write_split(list(range(10)), failing, str(tmp_path), 'toy', 'train', 5,
                       overwrite=True)
  assert sorted(os.listdir(tmp_path)) == sorted(
      [os.path.basename(p) for p in paths] + ['labels.txt'])
  assert {p: open(p, 'rb').read() for p in paths} == before


# The catalog

def test_builtin_datasets_keep_tf_slim_facts():
  facts = {name: (info.splits, info.num_classes, info.has_background)
           for name, info in catalog.BUILTIN.items()}
  assert facts['imagenet'] == ({'train': 1281167, 'validation': 50000}, 1001, True)
  assert facts['flowers'] == ({'train': 3320, 'validation': 350}, 5, False)
  assert facts['cifar10'] == ({'train': 50000, 'test': 10000}, 10, False)
  assert facts['mnist'] == ({'train': 60000, 'test': 10000}, 10, False)


def test_embedded_digits_dataset():
  train = catalog.get_split('digits', 'train')
  validation = catalog.get_split('digits', 'validation')
  assert (train.num_samples, validation.num_samples) == (1498, 299)
  assert train.num_classes == 10 and train.labels_to_names[3] == 'three'
  counted = catalog.count_records(train.files) + catalog.count_records(validation.files)
  assert counted == 1797
  labels = [int(records.parse(r)['image/class/label'])
            for r in tf.data.TFRecordDataset(list(validation.files))]
  assert sorted(set(labels)) == list(range(10))
  assert os.path.isfile(os.path.join(catalog.EMBEDDED_DIR, 'README.md'))


def test_imagenet_label_offset(tmp_path):
  for split in ('train', 'validation'):
    write_toy(str(tmp_path), name='x', split=split, n=4, shards=1)
  # TF-Slim's own ImageNet shard names: train-00000-of-01024.
  for split in ('train', 'validation'):
    shutil.copy(os.path.join(tmp_path, 'x_%s_00000-of-00001.tfrecord' % split),
                os.path.join(tmp_path, '%s-00000-of-00001' % split))
  split = catalog.get_split('imagenet', 'validation', str(tmp_path))
  assert [os.path.basename(f) for f in split.files] == ['validation-00000-of-00001']
  assert split.num_samples == 50000  # the published size; no cache beside these shards
  assert split.labels_offset(1001) == 0
  assert split.labels_offset(1000) == 1
  assert split.labels_offset(1200) == 0
  with pytest.raises(DataError, match='a model with 10 classes cannot read imagenet .* at least '
                     '1000 classes'):
    split.labels_offset(10)


def test_cifar10_reads_tf_slim_single_file_and_our_shards(tmp_path):
  write_toy(str(tmp_path), name='cifar10', split='test', n=4, shards=2)
  write_toy(str(tmp_path), name='cifar10', split='train', n=4, shards=1)
  os.rename(os.path.join(tmp_path, 'cifar10_train_00000-of-00001.tfrecord'),
            os.path.join(tmp_path, 'cifar10_train.tfrecord'))
  assert len(catalog.get_split('cifar10', 'test', str(tmp_path)).files) == 2
  assert [os.path.basename(f) for f in catalog.get_split('cifar10', 'train', str(tmp_path)).files
          ] == ['cifar10_train.tfrecord']


def test_directory_dataset_counts_once_and_caches_sizes(tmp_path):
  write_toy(str(tmp_path), name='mine', n=7, shards=2)
  split = catalog.get_split('mine', 'train', str(tmp_path))
  assert (split.num_samples, split.num_classes) == (7, 4)
  cache = json.loads((tmp_path / 'mine_splits.json').read_text())
  assert cache['train']['num_samples'] == 7
  # The cache is trusted while the shards are unchanged...
  cache['train']['num_samples'] = 70
  (tmp_path / 'mine_splits.json').write_text(json.dumps(cache))
  assert catalog.get_split('mine', 'train', str(tmp_path)).num_samples == 70
  # ... and recounted when they change.
  write_toy(str(tmp_path), name='mine', n=5, shards=2, overwrite=True)  # same names, new files
  os.remove(os.path.join(tmp_path, 'mine_train_00001-of-00002.tfrecord'))
  assert catalog.get_split('mine', 'train', str(tmp_path)).num_samples == 2
  # The one dataset of a directory needs no name.
  assert catalog.get_split(None, 'train', str(tmp_path)).dataset == 'mine'


def test_split_names_do_not_swallow_longer_ones(tmp_path):
  write_toy(str(tmp_path), name='d', split='train', n=3, shards=1)
  write_toy(str(tmp_path), name='d', split='trainextra', n=3, shards=1)
  files = catalog.get_split('d', 'train', str(tmp_path)).files
  assert [os.path.basename(f) for f in files] == ['d_train_00000-of-00001.tfrecord']


@pytest.mark.parametrize('setup, name, split, message', [
    ('missing', 'flowers', 'train', 'dataset directory .*/nowhere does not exist'),
    ('empty', 'flowers', 'train', 'holds no shards of flowers/train .*flowers_train\\*.tfrecord'
     '.* empty of .tfrecord files'),
    ('empty', 'mine', 'train', "no dataset 'mine': .* holds no mine_<split>_\\*.tfrecord"),
    ('toy', 'toy', 'test', "toy has no split 'test'; valid splits: train"),
    ('toy', 'flowers', 'train', 'holds no shards of flowers/train .*; it holds toy: train'),
    ('nolabels', 'toy', 'train', 'has shards of toy but no labels.txt'),
    ('toy', 'cifar10', 'validation', "cifar10 has no split 'validation'; valid splits: train, "
     'test'),
])
def test_catalog_errors_name_what_is_wrong(tmp_path, setup, name, split, message):
  directory = str(tmp_path / 'nowhere') if setup == 'missing' else str(tmp_path)
  if setup in ('toy', 'nolabels'):
    write_toy(directory, n=3, shards=1)
  if setup == 'nolabels':
    os.remove(os.path.join(directory, 'labels.txt'))
  with pytest.raises(DataError, match=message):
    catalog.get_split(name, split, directory)


def test_dataset_without_directory_names_the_flag():
  with pytest.raises(DataError, match=r"'flowers' needs a directory \(--dataset_dir\)"):
    catalog.get_split('flowers', 'train')


# The pipeline

def test_eval_visits_every_example_once_in_a_fixed_order(toy):
  make = lambda: pipeline.make_dataset(toy, image_size=4, batch_size=5, is_training=False,
                                       preprocessing=identity)
  first = pixel_ids(make())
  assert sorted(first) == list(range(24))
  assert pixel_ids(make()) == first
  batch_sizes = [int(images.shape[0]) for images, _ in make()]
  assert batch_sizes == [5, 5, 5, 5, 4]


def test_eval_shards_per_worker_partition_the_data(toy):
  seen = []
  for pipelines in (2, 3, 5):  # fewer files than pipelines shards the records
    ids = []
    for index in range(pipelines):
      context = tf.distribute.InputContext(pipelines, index, 1)
      ids += pixel_ids(pipeline.make_dataset(toy, image_size=4, batch_size=4, is_training=False,
                                             preprocessing=identity, input_context=context))
    seen.append(sorted(ids))
  assert seen == [list(range(24))] * 3


def test_training_shuffles_with_a_seed_and_repeats(toy):
  make = lambda seed: pipeline.make_dataset(toy, image_size=4, batch_size=8, is_training=True,
                                            preprocessing=identity, seed=seed)
  take = lambda seed: pixel_ids(make(seed).take(6))
  first = take(3)
  assert len(first) == 48  # 24 examples, repeated
  assert first == take(3)
  assert first != take(4)
  assert sorted(first[:24]) == list(range(24))  # each epoch visits all
  assert first[:24] != first[24:]  # and reshuffles
  assert first[:24] != list(range(24))


def test_batches_of_the_digits_for_a_model(tmp_path):
  split = catalog.get_split('digits', 'validation')
  for name, size, low, high in [('inception', 32, -1.0, 1.0), ('lenet', 28, -1.0, 1.0)]:
    dataset = pipeline.make_dataset(split, image_size=size, batch_size=16, is_training=False,
                                    preprocessing=name)
    images, labels = next(iter(dataset))
    assert images.shape == (16, size, size, 3) and images.dtype == tf.float32
    assert labels.shape == (16,) and labels.dtype == tf.int64
    assert low <= float(tf.reduce_min(images)) < float(tf.reduce_max(images)) <= high
  train = pipeline.make_dataset(catalog.get_split('digits', 'train'), image_size=32,
                                batch_size=16, is_training=True, preprocessing='inception',
                                seed=1)
  images, labels = next(iter(train))
  assert images.shape == (16, 32, 32, 3)
  assert -1.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1.0
  assert set(labels.numpy()) <= set(range(10))


def test_labels_offset_shifts_labels(toy):
  dataset = pipeline.make_dataset(toy, image_size=4, batch_size=24, is_training=False,
                                  preprocessing=identity, labels_offset=1, num_classes=3,
                                  skip_bad_records=True)
  images, labels = next(iter(dataset))
  ids = images[:, 0, 0, 0].numpy().astype(int)
  # label 0 (i % 4 == 0) becomes -1: outside the model's classes, so skipped.
  assert sorted(ids) == [i for i in range(24) if i % 4]
  assert list(labels.numpy()) == [i % 4 - 1 for i in ids]


# Bad data

def corrupt(path, at=0.5):
  data = bytearray(open(path, 'rb').read())
  data[int(len(data) * at)] ^= 0xFF
  open(path, 'wb').write(bytes(data))


@pytest.fixture
def bad_data(tmp_path):
  """A split whose shard 1 has: record 2 bad (by kind) among 8 per shard."""
  def make(kind):
    garbage = {
        'label': records.image_example(png(0), 'png', 9, 6, 5),
        'image': records.image_example(b'\x89PNG not really', 'png', 1, 6, 5),
        'feature': tf.train.Example(features=tf.train.Features(feature={
            'image/format': tf.train.Feature(bytes_list=tf.train.BytesList(value=[b'png']))})
        ).SerializeToString(),
    }
    paths = write_toy(str(tmp_path), n=24, shards=3, bad={10: garbage.get(kind)})
    split = catalog.get_split('toy', 'train', str(tmp_path))  # counts and caches sizes
    if kind == 'corrupt':
      corrupt(paths[1])
    return split
  return make


@pytest.mark.parametrize('kind, message', [
    ('label', r'toy_train_00001-of-00003.tfrecord record 2: label 9 is outside the model classes '
              r'\[0, 4\)$'),
    ('image', 'toy_train_00001-of-00003.tfrecord record 2: image/encoded .* is not a decodable'),
    ('feature', 'toy_train_00001-of-00003.tfrecord record 2: not a TF-Slim image Example'),
    ('corrupt', r'toy_train_00001-of-00003.tfrecord record \d: corrupt .*truncated or damaged'),
])
def test_bad_data_stops_naming_file_and_record(bad_data, kind, message):
  split = bad_data(kind)
  dataset = pipeline.make_dataset(split, image_size=4, batch_size=4, is_training=False,
                                  preprocessing=identity)
  with pytest.raises(DataError, match=message):
    for _ in pipeline.iterate(dataset, split):
      pass


@pytest.mark.parametrize('kind, kept', [('label', 23), ('image', 23), ('feature', 23),
                                        ('corrupt', None)])
def test_skip_bad_records_counts_them(bad_data, kind, kept):
  split = bad_data(kind)
  counter = pipeline.SkipCounter()
  dataset = pipeline.make_dataset(split, image_size=4, batch_size=4, is_training=False,
                                  preprocessing=identity, skip_bad_records=True, counter=counter)
  ids = pixel_ids(pipeline.iterate(dataset, split))
  if kept is None:  # a corrupt record cuts its shard short
    assert 16 <= len(ids) < 24 and set(range(8)) | set(range(16, 24)) <= set(ids)
    assert counter.skipped == 0
  else:
    assert len(ids) == kept and 10 not in ids
    assert counter.skipped == 1


def test_counting_a_corrupt_shard_names_it(tmp_path):
  paths = write_toy(str(tmp_path), n=6, shards=2)
  corrupt(paths[1])
  with pytest.raises(DataError, match=r'toy_train_00001-of-00002.tfrecord: corrupted record at '
                     r'\d+$'):
    catalog.get_split('toy', 'train', str(tmp_path))


def test_explain_leaves_errors_that_are_not_the_data(toy):
  error = tf.errors.ResourceExhaustedError(None, None, 'out of memory')
  assert pipeline.explain(error, toy) is None


def test_make_digits_splits_every_sixth_example(tmp_path):
  from datasets import make_digits
  rows = [[(i + j) % 17 for j in range(64)] + [i % 10] for i in range(12)]
  path = tmp_path / 'digits.csv.gz'
  import gzip
  with gzip.open(path, 'wt') as f:
    f.write('\n'.join(','.join(map(str, row)) for row in rows) + '\n')
  images, labels = make_digits.load(str(path))
  assert images.shape == (12, 8, 8, 1) and images.dtype == np.uint8
  assert int(images.max()) == 255 and list(labels) == [i % 10 for i in range(12)]
  splits = make_digits.split(images, labels)
  assert [label for _, label in splits['validation']] == [5, 1]
  assert len(splits['train']) == 10
