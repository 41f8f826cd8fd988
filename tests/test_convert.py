"""datasets.convert: image folders, CIFAR-10 and MNIST archives and ImageNet's layout, made here."""

import gzip
import io
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tarfile

import numpy as np
import pytest
import tensorflow as tf

from datasets import catalog, convert, pipeline, records
from datasets.records import DataError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CMYK_JPEG = os.path.join(ROOT, 'tests', 'data', 'cmyk.jpg')


def image_bytes(value, fmt='png', channels=3, size=(5, 7)):
  image = np.full(size + (channels,), value, np.uint8)
  return (tf.io.encode_png(image) if fmt == 'png' else tf.io.encode_jpeg(image)).numpy()


def read_split(directory, name, split):
  """[(label, height, width, first pixel, format)] of a converted split, in order."""
  result = []
  for path in catalog.get_split(name, split, directory).files:
    for record in tf.data.TFRecordDataset(path):
      example = tf.train.Example.FromString(record.numpy()).features.feature
      image = records.decode_image(example['image/encoded'].bytes_list.value[0]).numpy()
      result.append((example['image/class/label'].int64_list.value[0],
                     example['image/height'].int64_list.value[0],
                     example['image/width'].int64_list.value[0], int(image[0, 0, 0]),
                     example['image/format'].bytes_list.value[0].decode()))
  return result


@pytest.fixture
def folder(tmp_path):
  """flowers/<class>/<image>: 3 classes, 4 images each, in assorted formats."""
  root = tmp_path / 'flowers'
  for label, cls in enumerate(['daisy', 'rose', 'tulip']):
    (root / cls).mkdir(parents=True)
    for i in range(4):
      value = 10 * label + i
      (root / cls / ('%d.jpg' % i)).write_bytes(
          image_bytes(value, 'png' if i % 2 else 'jpeg', channels=1 if i == 3 else 3))
  shutil.copy(CMYK_JPEG, root / 'rose' / 'cmyk.jpg')
  return root


def test_image_folder_converts_with_a_validation_split(folder, tmp_path):
  out = str(tmp_path / 'out')
  convert.convert('images', input=str(folder), output_dir=out, validation_size='4',
                  train_shards=3)
  assert records.read_labels(out) == {0: 'daisy', 1: 'rose', 2: 'tulip'}
  train, validation = read_split(out, 'flowers', 'train'), read_split(out, 'flowers', 'validation')
  assert (len(train), len(validation)) == (9, 4)
  assert len(catalog.get_split('flowers', 'train', out).files) == 3
  # Sizes are recorded beside the shards, not the published 3320.
  assert catalog.get_split('flowers', 'train', out).num_samples == 9
  for label, height, width, _, fmt in train + validation:
    assert 0 <= label < 3 and fmt in ('jpeg', 'png')
    assert (height, width) in ((5, 7), (4, 6))  # cmyk.jpg is 6 x 4
  # PNGs named .jpg keep their real format; the CMYK JPEG is in rose.
  assert {fmt for *_, fmt in train + validation} == {'jpeg', 'png'}
  assert (1, 4, 6) in [row[:3] for row in train + validation]
  # The same seed gives the same shards; another seed another order.
  convert.convert('images', input=str(folder), output_dir=str(tmp_path / 'again'),
                  validation_size='4',
            train_shards=3)
  assert read_split(str(tmp_path / 'again'), 'flowers', 'train') == train
  # The pipeline reads it.
  split = catalog.get_split('flowers', 'validation', out)
  images, labels = next(iter(pipeline.make_dataset(
      split, image_size=8, batch_size=4, is_training=False, preprocessing='inception')))
  assert images.shape == (4, 8, 8, 3)


def test_image_folder_bad_image_stops_or_is_skipped(folder, tmp_path):
  (folder / 'tulip' / 'notes.txt').write_text('not an image')
  (folder / 'tulip' / 'broken.png').write_bytes(image_bytes(1)[:30])
  out = str(tmp_path / 'out')
  with pytest.raises(DataError, match=r'tulip/(notes.txt|broken.png) is not a decodable JPEG, '
                     'PNG, GIF or BMP image; remove it or pass --skip_bad_images'):
    convert.convert('images', input=str(folder), output_dir=out, validation_size='0')
  assert not os.path.exists(out) or not os.listdir(out)
  convert.convert('images', input=str(folder), output_dir=out, validation_size='0',
                  skip_bad_images=True)
  assert len(read_split(out, 'flowers', 'train')) == 13


@pytest.mark.parametrize('setup, message', [
    ('missing', 'image folder .*/nothing does not exist'),
    ('flat', 'has no class sub-folders'),
    ('empty_class', 'class folder .*/daisy holds no images'),
    ('size', r'--validation_size=lots is neither a count \(350\) nor a percentage'),
    ('too_big', '--validation_size=13 leaves no training examples of 13'),
])
def test_image_folder_errors(folder, tmp_path, setup, message):
  source = {'missing': tmp_path / 'nothing', 'flat': folder / 'daisy'}.get(setup, folder)
  if setup == 'empty_class':
    shutil.rmtree(folder / 'daisy')
    (folder / 'daisy').mkdir()
  size = {'size': 'lots', 'too_big': '13'}.get(setup, '10%')
  with pytest.raises(DataError, match=message):
    convert.convert('images', input=str(source), output_dir=str(tmp_path / 'out'),
                    validation_size=size)


def test_existing_shards_are_kept_unless_overwrite(folder, tmp_path):
  out = str(tmp_path / 'out')
  convert.convert('images', input=str(folder), output_dir=out, validation_size='3')
  before = {f: open(os.path.join(out, f), 'rb').read() for f in os.listdir(out)}
  with pytest.raises(DataError, match='already holds .* pass --overwrite'):
    convert.convert('images', input=str(folder), output_dir=out, validation_size='3', seed=5)
  assert {f: open(os.path.join(out, f), 'rb').read() for f in os.listdir(out)} == before
  convert.convert('images', input=str(folder), output_dir=out, validation_size='3', seed=5,
                  overwrite=True)
  assert len(read_split(out, 'flowers', 'train')) == 10


def cifar_archive(path, per_batch=3):
  rng = np.random.RandomState(0)

  def batch(n, offset):
    data = rng.randint(0, 255, (n, 3072)).astype(np.uint8)
    data[:, 0] = np.arange(n) + offset  # red channel of pixel (0, 0): an id
    return {b'data': data, b'labels': [(i + offset) % 10 for i in range(n)]}

  members = {'cifar-10-batches-py/data_batch_%d' % i: batch(per_batch, 10 * i)
             for i in range(1, 6)}
  members['cifar-10-batches-py/test_batch'] = batch(2, 100)
  members['cifar-10-batches-py/batches.meta'] = {
      b'label_names': [n.encode() for n in ('airplane', 'automobile', 'bird', 'cat', 'deer',
                                            'dog', 'frog', 'horse', 'ship', 'truck')]}
  with tarfile.open(path, 'w:gz') as tar:
    for name, value in members.items():
      data = pickle.dumps(value, protocol=2)
      info = tarfile.TarInfo(name)
      info.size = len(data)
      tar.addfile(info, io.BytesIO(data))


def test_cifar10_archive(tmp_path):
  archive = str(tmp_path / 'cifar-10-python.tar.gz')
  cifar_archive(archive)
  out = str(tmp_path / 'cifar10')
  convert.convert('cifar10', input=archive, output_dir=out, train_shards=2)
  train = read_split(out, 'cifar10', 'train')
  assert [row[3] for row in train] == [10 * b + i for b in range(1, 6) for i in range(3)]
  assert [row[0] for row in train] == [(10 * b + i) % 10 for b in range(1, 6) for i in range(3)]
  assert {row[1:3] for row in train} == {(32, 32)}
  assert [row[3] for row in read_split(out, 'cifar10', 'test')] == [100, 101]
  assert records.read_labels(out)[9] == 'truck'


def test_cifar10_archive_refuses_code_and_garbage(tmp_path):
  evil = tmp_path / 'evil.tar.gz'
  with tarfile.open(evil, 'w:gz') as tar:
    data = pickle.dumps({b'data': os.system}, protocol=2)
    info = tarfile.TarInfo('cifar-10-batches-py/data_batch_1')
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
  with pytest.raises(DataError, match='is not CIFAR-10.s python archive: .*system is not allowed'):
    convert.convert('cifar10', input=str(evil), output_dir=str(tmp_path / 'out'))
  (tmp_path / 'garbage.tar.gz').write_bytes(b'garbage')
  with pytest.raises(DataError, match='is not CIFAR-10.s python archive'):
    convert.convert('cifar10', input=str(tmp_path / 'garbage.tar.gz'),
                    output_dir=str(tmp_path / 'out'))


def write_idx(path, array, magic):
  header = struct.pack('>II', magic, len(array))
  if magic == 2051:
    header += struct.pack('>II', *array.shape[1:3])
  with gzip.open(path, 'wb') as f:
    f.write(header + array.astype(np.uint8).tobytes())


def test_mnist_idx_files(tmp_path):
  source = tmp_path / 'mnist_raw'
  source.mkdir()
  for stem, n in (('train', 7), ('t10k', 3)):
    images = np.zeros((n, 28, 28), np.uint8)
    images[:, 0, 0] = np.arange(n) * 20
    write_idx(source / ('%s-images-idx3-ubyte.gz' % stem), images, 2051)
    write_idx(source / ('%s-labels-idx1-ubyte.gz' % stem), np.arange(n) % 10, 2049)
  out = str(tmp_path / 'mnist')
  convert.convert('mnist', input=str(source), output_dir=out)
  train = read_split(out, 'mnist', 'train')
  assert [row[:4] for row in train] == [(i, 28, 28, 20 * i) for i in range(7)]
  assert len(read_split(out, 'mnist', 'test')) == 3
  assert records.read_labels(out)[2] == 'two'
  # A truncated file is named.
  with gzip.open(source / 't10k-images-idx3-ubyte.gz', 'rb') as f:
    data = f.read()
  with gzip.open(source / 't10k-images-idx3-ubyte.gz', 'wb') as f:
    f.write(data[:-5])
  with pytest.raises(DataError, match='t10k-images-idx3-ubyte.gz is truncated'):
    convert.convert('mnist', input=str(source), output_dir=out, overwrite=True)


def test_imagenet_layout_with_flat_validation(tmp_path):
  root = tmp_path / 'imagenet'
  synsets = ['n01440764', 'n01443537', 'n01484850']
  for label, synset in enumerate(synsets):
    (root / 'train' / synset).mkdir(parents=True)
    for i in range(2):
      (root / 'train' / synset / ('%s_%d.JPEG' % (synset, i))).write_bytes(
          image_bytes(label * 10 + i, 'jpeg'))
  (root / 'val').mkdir()
  val_labels = []
  for i, synset in enumerate([synsets[2], synsets[0], synsets[1], synsets[2]]):
    (root / 'val' / ('ILSVRC2012_val_%08d.JPEG' % (i + 1))).write_bytes(image_bytes(i, 'png'))
    val_labels.append(synset)
  (tmp_path / 'val_labels.txt').write_text('\n'.join(val_labels) + '\n')
  (tmp_path / 'names.txt').write_text('n01440764\ttench, Tinca tinca\n')
  out = str(tmp_path / 'out')
  with pytest.raises(DataError, match='val is flat: pass --validation_labels'):
    convert.convert('imagenet', input=str(root), output_dir=out)
  convert.convert('imagenet', input=str(root), output_dir=out,
                  validation_labels=str(tmp_path / 'val_labels.txt'),
                  synset_names=str(tmp_path / 'names.txt'), train_shards=2, eval_shards=1)
  labels = records.read_labels(out)
  assert labels == {0: 'background', 1: 'tench, Tinca tinca', 2: 'n01443537', 3: 'n01484850'}
  validation = read_split(out, 'imagenet', 'validation')
  assert [row[0] for row in validation] == [3, 1, 2, 3]  # TF-Slim's 1-based labels
  assert {row[4] for row in validation} == {'png'}  # the real format, not the .JPEG name
  train = read_split(out, 'imagenet', 'train')
  assert sorted(row[0] for row in train) == [1, 1, 2, 2, 3, 3]
  split = catalog.get_split('imagenet', 'validation', out)
  assert split.num_samples == 4 and split.labels_offset(1000) == 1


def run_cli(*args):
  env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL='3')
  return subprocess.run([sys.executable, '-m', 'datasets.convert', *args], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300)


def test_cli_converts_and_reports_errors_in_one_line(folder, tmp_path):
  out = str(tmp_path / 'out')
  done = run_cli('images', '--input=%s' % folder, '--output_dir=%s' % out, '--validation_size=3')
  assert done.returncode == 0, done.stderr
  assert 'flowers/train: 10 records in 5 shards' in done.stdout
  again = run_cli('images', '--input=%s' % folder, '--output_dir=%s' % out)
  assert again.returncode == 1
  assert 'Traceback' not in again.stderr
  lines = [line for line in again.stderr.splitlines() if line.strip()]
  assert lines[-1].startswith('datasets.convert: error: ') and 'pass --overwrite' in lines[-1]
  usage = run_cli('pictures', '--input=x', '--output_dir=y')
  assert usage.returncode != 0 and 'Traceback' not in usage.stderr
  assert 'name one source' in usage.stderr
