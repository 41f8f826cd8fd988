"""Training augmentations: RandAugment, AutoAugment, random erasing (preprocessing.augment),
Mixup and CutMix (datasets.mixing), their place in the input pipeline, the soft-label loss,
their flags, and a short training run with them on."""

import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image, ImageEnhance, ImageOps

from binaries import ROOT, run_binary
from datasets import catalog, mixing, pipeline
from engine import config as config_lib
from engine import evaluation, flags, inputs, losses, training
from engine.config import ConfigError
from preprocessing import augment
from preprocessing import augment_ops as ops

SEED = tf.constant([7, 11], tf.int64)
OTHER_SEED = tf.constant([8, 11], tf.int64)
MAGNITUDE_FREE = ('AutoContrast', 'Equalize', 'Invert')


@pytest.fixture(scope='module')
def image():
  """A smooth 32 x 40 RGB image in [40, 200] (not spanning [0, 255], so that
  AutoContrast has work to do) with a bright square off-centre."""
  rows, columns = np.mgrid[0:32, 0:40].astype(np.float32)
  red = 40 + 4 * rows
  green = 40 + 3 * columns
  blue = 120 + 40 * np.sin(rows / 5.0) * np.cos(columns / 7.0)
  pixels = np.stack([red, green, blue], axis=-1)
  pixels[4:12, 6:14] = 200.0
  return tf.constant(np.round(np.clip(pixels, 40, 200)))


def _check_image(result, image):
  assert result.shape == image.shape and result.dtype == tf.float32
  values = result.numpy()
  assert values.min() >= 0.0 and values.max() <= 255.0 and np.isfinite(values).all()


def test_every_randaugment_op_keeps_shape_and_range_changes_the_image_and_is_identity_at_0(
    image):
  for name in augment.RANDAUGMENT_OPS:
    strong = augment.apply_op(name, image, 9, SEED)
    _check_image(strong, image)
    assert not np.array_equal(strong, image), name
    assert np.array_equal(augment.apply_op(name, image, 9, SEED), strong), name
    if name not in MAGNITUDE_FREE:
      assert np.array_equal(augment.apply_op(name, image, 0, SEED), image), name
  for name in augment.ORIGINAL_SCALE:  # AutoAugment's scale: every op builds and stays in range
    _check_image(augment.apply_op(name, image, 9, SEED, augment.ORIGINAL_SCALE), image)
  # Grayscale images (one channel) go through every op too.
  gray = image[:, :, :1]
  for name in augment.RANDAUGMENT_OPS:
    _check_image(augment.apply_op(name, gray, 5, SEED), gray)


def test_the_ops_equal_pils(image):
  """The definitions the papers used: PIL's, exactly or within its rounding to bytes."""
  pil = Image.fromarray(image.numpy().astype(np.uint8))
  exact = [(ImageOps.equalize(pil), ops.equalize(image)),
           (ImageOps.posterize(pil, 3), ops.posterize(image, 3)),
           (ImageOps.solarize(pil, 100), ops.solarize(image, 100)),
           (ImageOps.invert(pil), ops.invert(image))]
  for expected, ours in exact:
    np.testing.assert_array_equal(np.asarray(expected, np.float32), ours)
  np.testing.assert_allclose(ops.autocontrast(image), np.asarray(ImageOps.autocontrast(pil)),
                             atol=1.0)
  for name, op in (('Color', ops.color), ('Contrast', ops.contrast),
                   ('Brightness', ops.brightness), ('Sharpness', ops.sharpness)):
    for factor in (0.3, 1.7):
      expected = np.asarray(getattr(ImageEnhance, name)(pil).enhance(factor), np.float32)
      np.testing.assert_allclose(op(image, factor), expected, atol=1.5, err_msg=name)
  # 90 degrees turn a square image counterclockwise, as PIL's rotate, pixels exactly.
  square = image[:32, :32]
  np.testing.assert_allclose(ops.rotate(square, 90.0), np.rot90(square.numpy()), atol=1e-3)


def test_randaugment_and_autoaugment_are_seeded_per_image(image):
  rand = tf.function(lambda x, seed: augment.randaugment(x, seed, 2, 9))
  first = rand(image, SEED)
  _check_image(first, image)
  assert np.array_equal(rand(image, SEED), first)
  assert not np.array_equal(rand(image, OTHER_SEED), first)
  assert np.array_equal(augment.randaugment(image, SEED, 0, 9), image)  # no ops: identity
  auto = tf.function(lambda x, seed: augment.autoaugment(x, seed, 'v0'))
  results = [auto(image, tf.constant([i, 3], tf.int64)) for i in range(8)]
  for result in results:
    _check_image(result, image)
  assert np.array_equal(auto(image, tf.constant([0, 3], tf.int64)), results[0])
  assert sum(not np.array_equal(r, image) for r in results) >= 4
  assert len({r.numpy().tobytes() for r in results}) >= 4
  policy = augment.AUTOAUGMENT_POLICIES['v0']
  assert len(policy) == 25 and all(len(sub) == 2 for sub in policy)
  assert all(name in augment.ORIGINAL_SCALE and 0 <= p <= 1 and 0 <= level <= 10
             for sub in policy for name, p, level in sub)


def test_random_erasing_fills_one_rectangle_of_the_papers_size(image):
  assert np.array_equal(augment.random_erasing(image, SEED, 0.0), image)
  for i in range(6):
    seed = tf.constant([i, 5], tf.int64)
    erased = augment.random_erasing(image, seed, 1.0)
    _check_image(erased, image)
    assert np.array_equal(augment.random_erasing(image, seed, 1.0), erased)
    rows, columns = np.nonzero((erased.numpy() != image.numpy()).any(axis=-1))
    box = (rows.max() - rows.min() + 1) * (columns.max() - columns.min() + 1)
    assert len(rows) >= 0.9 * box  # one rectangle (a random pixel may equal the image's)
    assert 0.015 <= box / (32 * 40) <= 0.36


def test_mixup_labels_are_a_convex_mix_and_the_images_too():
  images = tf.random.stateless_uniform([6, 8, 8, 3], [1, 2], 0, 255)
  labels = tf.constant([0, 1, 2, 3, 4, 5], tf.int64)
  mixed, soft = mixing.mix_batch(images, labels, SEED, 10, mixup_alpha=0.4)
  np.testing.assert_allclose(tf.reduce_sum(soft, -1), np.ones(6), rtol=1e-6)
  lam = float(soft[0, 0])
  assert 0 < lam < 1 and abs(float(soft[0, 5]) - (1 - lam)) < 1e-6  # image 0 with image 5
  np.testing.assert_allclose(mixed, lam * images + (1 - lam) * images[::-1], rtol=1e-5,
                             atol=1e-3)
  again, _ = mixing.mix_batch(images, labels, SEED, 10, mixup_alpha=0.4)
  assert np.array_equal(again, mixed)
  same, onehot = mixing.mix_batch(images, labels, SEED, 10, mixup_alpha=0.4, mix_prob=0.0)
  assert np.array_equal(same, images) and np.array_equal(onehot, tf.one_hot(labels, 10))


def test_cutmix_lambda_is_the_area_left_and_the_switch_chooses():
  images = tf.reshape(tf.range(4, dtype=tf.float32), [4, 1, 1, 1]) * tf.ones([4, 16, 20, 3])
  labels = tf.constant([0, 1, 2, 3], tf.int64)
  kinds = set()
  for i in range(12):
    seed = tf.constant([i, 9], tf.int64)
    mixed, soft = mixing.mix_batch(images, labels, seed, 4, mixup_alpha=1.0, cutmix_alpha=1.0,
                                   switch_prob=0.5)
    np.testing.assert_allclose(tf.reduce_sum(soft, -1), np.ones(4), rtol=1e-6)
    lam = float(soft[0, 0])
    kept = float(np.mean(mixed[0, :, :, 0].numpy() == 0.0))
    is_cutmix = bool(np.isin(mixed[0].numpy(), (0.0, 3.0)).all())
    if is_cutmix:  # pasted pixels are image 3's: lam is exactly the area image 0 kept
      assert abs(kept - lam) < 1e-6, (kept, lam)
    kinds.add(is_cutmix)
  assert kinds == {True, False}
  top, left, height, width = mixing.cutmix_box(100, 100, 0.75, SEED)
  assert int(height) <= 50 and int(width) <= 50 and int(top) >= 0 and int(left) >= 0


def test_the_loss_takes_soft_labels_and_smooths_them_as_timm():
  logits = tf.random.stateless_normal([3, 5], [3, 4])
  labels = tf.constant([1, 4, 0], tf.int64)
  onehot = tf.one_hot(labels, 5)
  np.testing.assert_allclose(losses.classification_loss(onehot, logits, 5, 0.1),
                             losses.classification_loss(labels, logits, 5, 0.1), rtol=1e-6)
  # timm's mixup_target: the smoothed one-hot labels (off = s / K, on = 1 - s + off), mixed.
  lam, smoothing, partner = 0.7, 0.1, onehot[::-1]
  off = smoothing / 5

  def smoothed(y):
    return y * (1 - smoothing + off) + (1 - y) * off
  timm_target = lam * smoothed(onehot) + (1 - lam) * smoothed(partner)
  expected = tf.nn.softmax_cross_entropy_with_logits(timm_target, logits)
  ours = losses.classification_loss(lam * onehot + (1 - lam) * partner, logits, 5, smoothing)
  np.testing.assert_allclose(ours, expected, rtol=1e-5)
  assert losses.dominant_labels(lam * onehot + (1 - lam) * partner).numpy().tolist() == [1, 4, 0]
  assert losses.dominant_labels(labels) is labels


def test_the_pipeline_augments_between_crop_and_normalize_repeatably():
  split = catalog.get_split('digits', 'train', os.path.join(ROOT, 'datasets', 'digits'))
  augmentation = inputs.augmentation(dict(randaugment='2,9', random_erasing=0.5,
                                          mixup_alpha=0.2, cutmix_alpha=1.0))

  def batch(**kwargs):
    dataset = pipeline.make_dataset(split, image_size=28, batch_size=8, is_training=True,
                                    preprocessing='lenet', seed=1, shuffle_buffer=64, **kwargs)
    return next(iter(dataset))

  plain_images, _ = batch()
  images, labels = batch(augment=augmentation.augment(), mix=augmentation.mix(10))
  assert images.shape == (8, 28, 28, 3) and labels.shape == (8, 10)
  assert float(tf.reduce_min(images)) >= -1.0 and float(tf.reduce_max(images)) < 1.0
  assert not np.array_equal(images, plain_images)
  np.testing.assert_allclose(tf.reduce_sum(labels, -1), np.ones(8), rtol=1e-6)
  again = batch(augment=augmentation.augment(), mix=augmentation.mix(10))
  assert np.array_equal(again[0], images) and np.array_equal(again[1], labels)
  # Each example's seed is its own: another seed, worker, position or stream, another draw.
  seeds = {tuple(pipeline._position_seed(*key).numpy()) for key in
           ((1, 0, 0, 5), (2, 0, 0, 5), (1, 1, 0, 5), (1, 0, 1, 5), (1, 0, 0, 6))}
  assert len(seeds) == 5
  with pytest.raises(ValueError, match='augment and mix are for training'):
    pipeline.make_dataset(split, image_size=28, batch_size=8, is_training=False,
                          preprocessing='lenet', augment=augmentation.augment())


def test_bad_augmentation_flags_are_one_line_each(tmp_path):
  bad = {
      'randaugment': ('2', '--randaugment=2: give N,M'),
      'autoaugment': ('v9', '--autoaugment=v9: unknown policy; valid: v0'),
      'random_erasing': (1.5, r'--random_erasing=1.5: a probability, must be in \[0, 1\]'),
      'mixup_alpha': (-0.2, '--mixup_alpha=-0.2: must be at least 0'),
      'cutmix_alpha': (-1.0, '--cutmix_alpha=-1.0: must be at least 0'),
      'mix_prob': (-0.1, r'--mix_prob=-0.1: a probability, must be in \[0, 1\]'),
      'mix_switch_prob': (2.0, r'--mix_switch_prob=2.0: a probability'),
  }
  for name, (value, message) in bad.items():
    with pytest.raises(ConfigError, match=message):
      inputs.augmentation({name: value})
  for value in ('2,31', 'two,9', '2,9,1', '2,-1', '2.5,9'):
    with pytest.raises(ConfigError, match=r'integer in 0\.\.30'):
      inputs.augmentation({'randaugment': value})
  with pytest.raises(ConfigError, match='give one of them, not both'):
    inputs.augmentation({'randaugment': '2,9', 'autoaugment': 'v0'})
  assert inputs.augmentation({'randaugment': ' 2, 9 '}).randaugment == (2, 9)
  assert inputs.augmentation(flags.defaults(flags.COMMON, flags.TRAIN)).augment() is None
  result = run_binary('train.py', '--model=lenet', '--randaugment=2,40',
                      '--train_dir=%s' % (tmp_path / 'run'))
  assert result.returncode != 0
  assert result.stderr.strip().splitlines()[-1].endswith(
      '--randaugment=2,40: give N,M: N operations per image (an integer >= 0) at magnitude M '
      '(an integer in 0..30; 9 or 10 are the paper\'s), e.g. --randaugment=2,9')
  assert 'Traceback' not in result.stderr and not (tmp_path / 'run').exists()


def test_the_demo_trains_to_its_bar_with_every_augmentation_on(tmp_path):
  """LeNet on the embedded digits, the demo recipe with RandAugment 1,3, random erasing 0.25,
  Mixup 0.2 and CutMix 1.0 on half the batches: twice the demo's steps reach the demo's bar
  of 0.95 top-1 (about 0.97)."""
  recipe = config_lib.load_yaml(os.path.join(ROOT, 'configs', 'demo_lenet_digits.yaml'))
  recipe.update(max_number_of_steps=600, randaugment='1,3', random_erasing=0.25,
                mixup_alpha=0.2, cutmix_alpha=1.0, mix_prob=0.5, log_every_n_steps=600,
                save_summaries_secs=600)
  train_dir = tmp_path / 'lenet'
  result = training.train(flags.defaults(flags.COMMON, flags.TRAIN, train_dir=str(train_dir),
                                         **recipe))
  assert result['step'] == 600
  assert np.mean(result['losses'][-50:]) < 0.6 * np.mean(result['losses'][:50])
  results = evaluation.evaluate(flags.defaults(
      flags.COMMON, flags.EVAL, model_name='lenet', checkpoint_path=str(train_dir),
      eval_dir=str(tmp_path / 'eval'), batch_size=100), report=lambda r: None)
  assert results['top1'] >= 0.95


def test_bench_measures_the_input_pipeline_with_the_augmentations(tmp_path):
  from engine import benchmark
  benchmark.write_jpegs(str(tmp_path), count=8)
  run, _ = benchmark.build_pipeline('lenet', 'train', 4, None, 1, str(tmp_path),
                                    augmentation=dict(randaugment='2,9', random_erasing=0.25,
                                                      mixup_alpha=0.2))
  images, labels = run()
  assert images.shape == (4, 28, 28, 3) and labels.shape[0] == 4 and labels.shape.rank == 2
  np.testing.assert_allclose(tf.reduce_sum(labels, -1), np.ones(4), rtol=1e-6)  # mixed
  with pytest.raises(ConfigError, match='--mix_prob=3.0'):
    benchmark.build_pipeline('lenet', 'train', 4, None, 1, str(tmp_path),
                             augmentation=dict(mix_prob=3.0))
