"""Evaluation of today's recipes: checkpoint averaging, the eval preprocessing flags and
--eval_flip, the registry's published accuracy (printed by eval.py on ImageNet's validation
split and by `python -m nets list`), ImageNet's class names shipped with the project, and
the modern recipes."""

import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from binaries import ROOT, run_binary
from datasets import catalog, imagenet, records, writer
from engine import average_checkpoints as averaging
from engine import checkpoints, evaluation, flags, serving, training
from engine.checkpoints import CheckpointError
from engine.config import ConfigError
from engine.model_building import build_network
from nets import __main__ as nets_main
from nets import registry
from preprocessing import inception_preprocessing, vgg_preprocessing


def _average_binary(*args):
  """`python -m engine.average_checkpoints args...` as a user runs it (TensorFlow's log
  settings at their defaults: its start-up lines are the binary's to hide)."""
  env = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'}
  env['PYTHONPATH'] = ROOT
  return subprocess.run([sys.executable, '-m', 'engine.average_checkpoints', *args], cwd=ROOT,
                        env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope='module')
def lenet_run(tmp_path_factory):
  """LeNet trained 4 steps on the embedded digits, a checkpoint each step, moving averages."""
  train_dir = tmp_path_factory.mktemp('average') / 'lenet'
  config = flags.defaults(flags.COMMON, flags.TRAIN, model_name='lenet',
                          train_dir=str(train_dir), batch_size=8, optimizer='momentum',
                          learning_rate=0.01, seed=1, max_number_of_steps=4,
                          save_interval_steps=1, keep_checkpoint_max=5,
                          moving_average_decay=0.9, log_every_n_steps=100)
  training.train(config)
  return str(train_dir)


@pytest.fixture(scope='module')
def averaged(lenet_run, tmp_path_factory):
  """`python -m engine.average_checkpoints` of the run's last 3 checkpoints."""
  output = str(tmp_path_factory.mktemp('averaged') / 'model.ckpt')
  done = _average_binary('--checkpoint_path=%s' % lenet_run,
                 '--last=3', '--output=%s' % output)
  assert done.returncode == 0, done.stderr[-3000:]
  assert 'the mean of 3 checkpoints (ckpt-2, ckpt-3, ckpt-4)' in done.stdout
  return output


def _eval_config(checkpoint_path, eval_dir, **overrides):
  values = dict(model_name='lenet', checkpoint_path=checkpoint_path, eval_dir=str(eval_dir),
                batch_size=16, max_num_batches=1)
  values.update(overrides)
  return flags.defaults(flags.COMMON, flags.EVAL, **values)


def test_the_average_is_the_mean_of_floats_and_the_newest_of_the_rest(lenet_run, averaged):
  paths = averaging.last_checkpoints(lenet_run, 3)
  assert [os.path.basename(p) for p in paths] == ['ckpt-2', 'ckpt-3', 'ckpt-4']
  readers = [tf.train.load_checkpoint(p) for p in paths]
  result = tf.train.load_checkpoint(averaged)
  dtypes = readers[-1].get_variable_to_dtype_map()
  assert set(result.get_variable_to_dtype_map()) == set(dtypes)
  names = {key: name for name, (key, _) in checkpoints.variables_in(averaged).items()}
  averages = [k for k in dtypes if names.get(k, '').endswith('/ExponentialMovingAverage')]
  assert len(averages) == 8  # LeNet's weights and biases, their moving averages averaged too
  for key, dtype in dtypes.items():
    if dtype.is_floating:
      mean = np.mean([r.get_tensor(key) for r in readers], axis=0)
      np.testing.assert_allclose(result.get_tensor(key), mean, rtol=1e-6, atol=1e-7)
    else:
      assert np.array_equal(result.get_tensor(key), readers[-1].get_tensor(key)), key
  weights = next(k for k in dtypes if names.get(k) == 'LeNet/conv1/weights')
  assert not np.allclose(readers[0].get_tensor(weights), readers[-1].get_tensor(weights))


def test_eval_and_export_read_the_average(averaged, tmp_path):
  results = evaluation.evaluate(_eval_config(averaged, tmp_path / 'eval',
                                             moving_average_decay=0.9), report=lambda r: None)
  assert results['step'] == 4 and results['examples'] == 16  # the newest's step
  config = flags.defaults(flags.COMMON, flags.SERVE, flags.EXPORT, model_name='lenet',
                          checkpoint_path=averaged, num_classes=10, moving_average_decay=0.9)
  classifier, setup = serving.build(config)
  reader = tf.train.load_checkpoint(averaged)
  stored = checkpoints.variables_in(averaged)
  for variable in classifier.net.variables:  # the averaged moving averages, by name
    key, _ = stored[checkpoints.name_of(variable) + '/ExponentialMovingAverage']
    np.testing.assert_array_equal(variable.numpy(), reader.get_tensor(key))
  assert setup.checkpoint == averaged


def test_averaging_errors_and_a_failed_write_keeps_the_old_output(lenet_run, averaged,
                                                                  tmp_path, monkeypatch):
  with pytest.raises(CheckpointError, match=r'--last=5: .* holds 4 checkpoints \(ckpt-1, '):
    averaging.average_checkpoints(lenet_run, 5, str(tmp_path / 'x'))
  with pytest.raises(ConfigError, match='--output: checkpoint .* exists; pass --overwrite'):
    averaging.average_checkpoints(lenet_run, 2, averaged)
  with pytest.raises(ConfigError, match='--output=.* is one of the checkpoints averaged'):
    averaging.average_checkpoints(lenet_run, 2, os.path.join(lenet_run, 'ckpt-4'), True)
  with pytest.raises(ConfigError, match='--last=0'):
    averaging.average_checkpoints(lenet_run, 0, str(tmp_path / 'x'))
  before = {p: open(p, 'rb').read() for p in glob.glob(averaged + '.*')}

  def full_disk(**kwargs):
    open(kwargs['prefix'] + '.data-00000-of-00001', 'wb').write(b'partial')
    raise tf.errors.ResourceExhaustedError(None, None, 'No space left on device')

  monkeypatch.setattr(tf.raw_ops, 'SaveV2', full_disk)
  with pytest.raises(tf.errors.ResourceExhaustedError):
    averaging.average_checkpoints(lenet_run, 2, averaged, overwrite=True)
  assert {p: open(p, 'rb').read() for p in glob.glob(averaged + '*')} == before


def _two_checkpoints(directory, *variables):
  for number, (name, shape) in enumerate(variables, 1):
    checkpoint = tf.train.Checkpoint(**{name: tf.Variable(tf.zeros(shape), name='a/' + name)})
    tf.train.CheckpointManager(checkpoint, str(directory), 5).save(checkpoint_number=number)
  return str(directory)


def test_mismatched_checkpoints_are_named(tmp_path):
  shapes = _two_checkpoints(tmp_path / 'shapes', ('v', [2]), ('v', [3]))
  with pytest.raises(CheckpointError, match=r'variable a/v is float32 \[2\] in ckpt-1 but '
                     r'float32 \[3\] in ckpt-2: average the checkpoints of one run'):
    averaging.average_checkpoints(shapes, 2, str(tmp_path / 'out'))
  names = _two_checkpoints(tmp_path / 'names', ('v', [3]), ('w', [3]))
  with pytest.raises(CheckpointError, match=r'checkpoints ckpt-1 and ckpt-2 hold different '
                     r'variables \(a/v only in ckpt-1, and 1 more\): average the checkpoints'):
    averaging.average_checkpoints(names, 2, str(tmp_path / 'out'))
  assert not glob.glob(str(tmp_path / 'out*'))


def test_the_binary_fails_in_one_line(lenet_run, tmp_path):
  done = _average_binary('--checkpoint_path=%s' % lenet_run,
                 '--last=9', '--output=%s' % (tmp_path / 'out'))
  assert done.returncode == 1
  assert done.stderr.strip().splitlines() == [
      'average_checkpoints: error: --last=9: %s holds 4 checkpoints (ckpt-1, ckpt-2, ckpt-3, '
      'ckpt-4); average at most that many' % lenet_run]


def test_eval_flip_averages_the_logits_of_the_mirror_image(averaged, tmp_path):
  config = _eval_config(averaged, tmp_path / 'eval', eval_flip=True)
  evaluator = evaluation.Evaluator(config)
  evaluator.restore(averaged)
  images, labels = next(iter(evaluator.batches()))
  logits = (evaluator.net(images, training=False)[0] +
            evaluator.net(images[:, :, ::-1], training=False)[0]) / 2
  loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
  results = evaluator.evaluate(averaged)
  assert results['loss'] == pytest.approx(float(tf.reduce_mean(loss)), rel=1e-5)
  plain = evaluation.Evaluator(_eval_config(averaged, tmp_path / 'plain')).evaluate(averaged)
  assert plain['loss'] != pytest.approx(results['loss'], rel=1e-5)


def test_central_fraction_and_resize_method_reach_the_pipeline(averaged, tmp_path):
  config = _eval_config(averaged, tmp_path / 'eval', preprocessing_name='inception',
                        eval_central_fraction=0.5, eval_resize_method='bicubic', batch_size=2)
  evaluator = evaluation.Evaluator(config)
  images, _ = next(iter(evaluator.batches()))
  raw = next(iter(tf.data.TFRecordDataset(evaluator.data.split.files[0]).take(1)))
  image = records.decode_image(records.parse(raw)['image/encoded'])
  crop = tf.image.central_crop(tf.image.convert_image_dtype(image, tf.float32), 0.5)
  expected = tf.compat.v1.image.resize(crop, [28, 28], method='bicubic') * 2.0 - 1.0
  np.testing.assert_allclose(images[0], expected, atol=1e-5)
  default = inception_preprocessing.preprocess_image(image, 28, 28)
  assert not np.allclose(images[0], default, atol=1e-3)


def test_vgg_central_fraction_sets_the_resize_side_and_lenet_refuses():
  image = tf.constant(np.random.RandomState(0).randint(0, 256, [40, 60, 3]), tf.uint8)
  np.testing.assert_array_equal(
      vgg_preprocessing.preprocess_image(image, 20, 20, central_fraction=0.5),
      vgg_preprocessing.preprocess_image(image, 20, 20, resize_side_min=40))
  np.testing.assert_array_equal(  # TF-Slim's 256 at 224 is the fraction 0.875
      vgg_preprocessing.preprocess_image(image, 224, 224, central_fraction=0.875),
      vgg_preprocessing.preprocess_image(image, 224, 224))
  lanczos = vgg_preprocessing.preprocess_image(image, 20, 20, resize_method='lanczos3')
  assert lanczos.shape == (20, 20, 3)
  assert evaluation.preprocessing_options(
      {'eval_central_fraction': 0.9, 'eval_resize_method': 'area'}, 'resnet_v1_50') == {
          'central_fraction': 0.9, 'resize_method': 'area'}
  for flag, value, keyword in (('eval_central_fraction', 0.9, 'central_fraction'),
                               ('eval_resize_method', 'area', 'resize_method')):
    with pytest.raises(ConfigError, match=r'--%s=%s: the lenet preprocessing has no %s \(only '
                       r'inception, vgg do\)' % (flag, value, keyword)):
      evaluation.preprocessing_options({flag: value}, 'lenet')
  with pytest.raises(ConfigError, match=r'--eval_central_fraction=1.5: must be in \(0, 1\]'):
    evaluation.preprocessing_options({'eval_central_fraction': 1.5}, 'inception')


def test_published_accuracy_in_the_registry_and_nets_list(capsys):
  spec = registry.get('inception_v3')
  assert (spec.published_top1, spec.published_top5, spec.eval_image_size) == (78.0, 93.9, 299)
  spec = registry.get('resnet_v2_50')
  assert (spec.published_top1, spec.eval_image_size, spec.preprocessing) == (75.6, 299,
                                                                            'inception')
  for name in registry.list_models():
    spec = registry.get(name)
    if spec.published_top1 is not None:  # the official checkpoint's figures
      assert spec.checkpoint and spec.num_classes in (1000, 1001), name
      assert spec.published_top5 is None or spec.published_top1 < spec.published_top5
  assert nets_main.main(['list', '--published', 'mobilenet_v1_025,lenet']) == 0
  assert capsys.readouterr().out.splitlines()[1:] == [
      'lenet                                 -      -  -',
      'mobilenet_v1_025                   41.5   66.3  128 inception']


@pytest.fixture(scope='module')
def fake_imagenet(tmp_path_factory):
  """A small dataset named imagenet: 4 validation images, labels 1..1000, background 0."""
  directory = str(tmp_path_factory.mktemp('imagenet'))
  rng = np.random.RandomState(5)
  images = [tf.io.encode_jpeg(rng.randint(0, 256, [48, 40, 3]).astype(np.uint8)).numpy()
            for _ in range(4)]
  writer.write_split(list(range(4)), lambda i: records.image_example(
      images[i], 'jpeg', 1 + 333 * i, 48, 40), directory, 'imagenet', 'validation', 1)
  return directory


def _random_checkpoint(name, num_classes, size, path):
  spec = registry.get(name)
  config = flags.defaults(flags.COMMON, flags.EVAL, model_name=name)
  net = build_network(spec, config, num_classes)
  net(tf.zeros([1, size, size, 3]), training=False)
  return tf.train.Checkpoint(net=net).write(str(path))


def test_eval_prints_the_published_accuracy_beside_the_measured(fake_imagenet, tmp_path):
  checkpoint = _random_checkpoint('mobilenet_v1_025', 1001, 32, tmp_path / 'ckpt')
  done = run_binary('eval.py', '--model=mobilenet_v1_025', '--checkpoint_path=%s' % checkpoint,
                    '--dataset_name=imagenet', '--dataset_dir=%s' % fake_imagenet,
                    '--dataset_split_name=validation', '--eval_image_size=32', '--batch_size=4',
                    '--eval_flip', '--eval_central_fraction=0.9', '--eval_resize_method=area')
  assert done.returncode == 0, done.stderr[-3000:]
  lines = done.stdout.splitlines()
  measured = next(i for i, line in enumerate(lines)
                  if 'on imagenet/validation (4 examples)' in line)
  assert lines[measured + 1] == ('published for the official checkpoint: top1 0.4150  top5 '
                                 '0.6630  (measured at 128 with inception preprocessing)')
  results = json.load(open(os.path.join(str(tmp_path), 'eval', 'results.json')))
  assert results['published'] == {'top1': 0.415, 'top5': 0.663, 'image_size': 128,
                                  'preprocessing': 'inception'}


def test_imagenet_without_labels_txt_is_named_by_the_shipped_names(fake_imagenet):
  split = catalog.get_split('imagenet', 'validation', fake_imagenet)
  assert split.labels_to_names == imagenet.create_readable_names_for_imagenet_labels()


def test_imagenet_class_names_ship_in_ilsvrc_order():
  rows = imagenet.synsets()
  assert len(rows) == 1000 and [w for w, _ in rows] == sorted(w for w, _ in rows)
  names = imagenet.create_readable_names_for_imagenet_labels()
  assert (names[0], names[1], names[1000]) == (
      'background', 'tench, Tinca tinca', 'toilet tissue, toilet paper, bathroom tissue')
  assert imagenet.class_names(1000)[:2] == ['tench, Tinca tinca', 'goldfish, Carassius auratus']


def test_export_and_predict_name_imagenet_classes(tmp_path):
  checkpoint = _random_checkpoint('lenet', 1001, 28, tmp_path / 'lenet1001')
  config = flags.defaults(flags.COMMON, flags.SERVE, flags.EXPORT, model_name='lenet',
                          checkpoint_path=checkpoint)
  setup = serving.resolve(config)
  assert setup.num_classes == 1001 and setup.labels_source == 'ImageNet class names (1001 classes)'
  assert setup.label_names[:2] == ['background', 'tench, Tinca tinca']
  assert setup.label_names[1000] == 'toilet tissue, toilet paper, bathroom tissue'
  checkpoint = _random_checkpoint('lenet', 1000, 28, tmp_path / 'lenet1000')
  image = tmp_path / 'image.png'
  image.write_bytes(tf.io.encode_png(np.full([28, 28, 3], 90, np.uint8)).numpy())
  output = tmp_path / 'predictions.json'
  done = run_binary('predict.py', '--model=lenet', '--checkpoint_path=%s' % checkpoint,
                    '--top_k=1000', '--output=%s' % output, str(image))
  assert done.returncode == 0, done.stderr[-3000:]
  predictions = json.load(open(output))[0]['predictions']
  names = imagenet.class_names(1000)
  assert len(predictions) == 1000
  assert all(p['label'] == names[p['class']] for p in predictions)
  assert {p['class']: p['label'] for p in predictions}[0] == 'tench, Tinca tinca'
