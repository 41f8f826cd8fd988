"""Tests of preprocessing/: shapes, value ranges, determinism, seeds, grayscale,
summaries and the factory, eagerly, in TF1 graphs and inside tf.data."""

import numpy as np
import pytest
import tensorflow as tf

from preprocessing import cifarnet_preprocessing
from preprocessing import factory
from preprocessing import image_ops
from preprocessing import inception_preprocessing
from preprocessing import lenet_preprocessing
from preprocessing import preprocessing_factory
from preprocessing import vgg_preprocessing

NAMES = ('inception', 'vgg', 'lenet', 'cifarnet')
RANDOM_NAMES = ('inception', 'vgg', 'cifarnet')  # lenet's training is not random
SIZE = 32
VGG_MEANS = np.array([123.68, 116.78, 103.94], np.float32)
ATOL = 1e-5


def _image(height=64, width=80, seed=0):
  return np.random.RandomState(seed).randint(0, 256, [height, width, 3]).astype(np.uint8)


def _as_float(name, image):
  """The same picture as a float input: [0, 1] for inception, else [0, 255]."""
  image = image.astype(np.float32)
  return image / 255.0 if name == 'inception' else image


def _preprocess(name, image, is_training=False, **kwargs):
  return factory.get_preprocessing(name, is_training)(image, SIZE, SIZE, **kwargs)


def _check_range(name, out):
  out = np.asarray(out)
  if name == 'inception':
    assert out.min() >= -1 - ATOL and out.max() <= 1 + ATOL
  elif name == 'vgg':
    # Pixels in [0, 255] less the channel means.
    assert np.all(out >= -VGG_MEANS - 1e-3) and np.all(out <= 255 - VGG_MEANS + 1e-3)
    assert out.min() < 0 < out.max()
  elif name == 'lenet':
    assert out.min() >= -1 and out.max() <= 127 / 128
  else:  # per-image standardization
    assert abs(out.mean()) < 1e-4 and abs(out.std() - 1) < 1e-3


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('is_training', [False, True])
@pytest.mark.parametrize('dtype', ['uint8', 'float32'])
@pytest.mark.parametrize('input_size', [(64, 80), (80, 64)])
def test_shape_dtype_range(name, is_training, dtype, input_size):
  image = _image(*input_size)
  if dtype == 'float32':
    image = _as_float(name, image)
  out = _preprocess(name, image, is_training)
  assert out.shape == (SIZE, SIZE, 3)
  assert out.dtype == tf.float32
  _check_range(name, out)


@pytest.mark.parametrize('name', NAMES)
def test_float_input_equals_uint8(name):
  image = _image()
  np.testing.assert_allclose(_preprocess(name, image), _preprocess(name, _as_float(name, image)),
                             atol=ATOL)


def test_non_square_output():
  image = _image()
  for name in NAMES:
    for is_training in (False, True):
      out = factory.get_preprocessing(name, is_training)(image, 24, 40)
      assert out.shape == (24, 40, 3), (name, is_training)


def test_inception_eval_at_299():
  out = inception_preprocessing.preprocess_image(_image(360, 480), 299, 299)
  assert out.shape == (299, 299, 3)
  _check_range('inception', out)


def test_inception_eval_without_resize():
  # TF-Slim resizes only when both sizes are given: the central 7/8 remains.
  out = inception_preprocessing.preprocess_for_eval(_image(64, 80), None, None)
  assert out.shape == (56, 70, 3)


@pytest.mark.parametrize('is_training', [False, True])
def test_inception_full_mode(is_training):
  out = inception_preprocessing.preprocess_image(_image(), SIZE, SIZE, is_training,
                                                 fast_mode=False)
  assert out.shape == (SIZE, SIZE, 3)
  _check_range('inception', out)


def test_known_values():
  red = np.zeros([64, 80, 3], np.uint8) + np.array([200, 100, 50], np.uint8)
  np.testing.assert_allclose(_preprocess('vgg', red)[0, 0], [200, 100, 50] - VGG_MEANS,
                             atol=1e-4)
  np.testing.assert_allclose(_preprocess('inception', red)[0, 0],
                             np.array([200, 100, 50]) / 255 * 2 - 1, atol=ATOL)
  # LeNet crops or pads: a 16x16 gray square padded to 32x32 with zeros.
  out = lenet_preprocessing.preprocess_image(np.full([16, 16, 1], 64, np.uint8), 32, 32, False)
  assert out.shape == (32, 32, 1)
  assert out[16, 16, 0] == -0.5 and out[0, 0, 0] == -1.0


@pytest.mark.parametrize('name', NAMES)
def test_eval_deterministic_eager_graph_and_tf_data(name):
  image = _image()
  eager = _preprocess(name, image).numpy()
  np.testing.assert_array_equal(eager, _preprocess(name, image).numpy())
  dataset = tf.data.Dataset.from_tensors(image).repeat(2).map(lambda x: _preprocess(name, x))
  for out in dataset.as_numpy_iterator():
    np.testing.assert_allclose(out, eager, atol=ATOL)
  with tf.Graph().as_default():
    placeholder = tf.compat.v1.placeholder(tf.uint8, [None, None, 3])
    out = _preprocess(name, placeholder)
    assert out.shape == (SIZE, SIZE, 3)
    with tf.compat.v1.Session() as sess:
      np.testing.assert_allclose(sess.run(out, {placeholder: image}), eager, atol=ATOL)


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('is_training', [False, True])
def test_decode_image_of_unknown_rank_in_tf_data(name, is_training):
  dataset = tf.data.Dataset.from_tensors(tf.io.encode_png(_image())).map(
      lambda data: _preprocess(name, tf.io.decode_image(data), is_training))
  assert dataset.element_spec.shape[:2] == (SIZE, SIZE)
  assert next(iter(dataset)).shape == (SIZE, SIZE, 3)


@pytest.mark.parametrize('name', NAMES)
def test_a_batch_is_a_clear_error(name):
  with pytest.raises(ValueError, match=r'one \[height, width, channels\] image'):
    _preprocess(name, _image()[None])


def test_graph_mode_static_shapes(graph):
  placeholder = tf.compat.v1.placeholder(tf.uint8, [None, None, 3])
  outs = [_preprocess(name, placeholder, is_training) for name in NAMES
          for is_training in (False, True)]
  outs.append(inception_preprocessing.preprocess_for_train(placeholder, SIZE, SIZE, None,
                                                           fast_mode=False))
  for out in outs:
    assert out.shape == (SIZE, SIZE, 3)
  with tf.compat.v1.Session(graph=graph) as sess:
    for out in sess.run(outs, {placeholder: _image()}):
      assert out.shape == (SIZE, SIZE, 3)


def _seeded_runs(fn, seed=7):
  tf.random.set_seed(seed)
  return fn().numpy(), fn().numpy()


@pytest.mark.parametrize('name,kwargs', [(n, {}) for n in RANDOM_NAMES] +
                         [('inception', {'fast_mode': False})])
def test_train_seeded(name, kwargs):
  image = _image()
  fn = lambda: _preprocess(name, image, True, **kwargs)
  first, second = _seeded_runs(fn)
  again_first, again_second = _seeded_runs(fn)
  np.testing.assert_array_equal(first, again_first)
  np.testing.assert_array_equal(second, again_second)
  assert not np.allclose(first, second)  # random from call to call


@pytest.mark.parametrize('name', RANDOM_NAMES)
def test_train_seeded_in_tf_data(name):

  def run():
    tf.random.set_seed(3)
    dataset = tf.data.Dataset.from_tensors(_image()).repeat(3)
    return np.stack(list(dataset.map(lambda x: _preprocess(name, x, True)).as_numpy_iterator()))

  first, again = run(), run()
  np.testing.assert_array_equal(first, again)
  assert not np.allclose(first[0], first[1])


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('is_training', [False, True])
def test_grayscale_has_three_equal_channels(name, is_training):
  out = factory.get_preprocessing(name, is_training, use_grayscale=True)(_image(), SIZE, SIZE)
  out = out.numpy()
  if name == 'vgg':
    out = out + VGG_MEANS  # the means differ per channel; the gray values do not
  assert out.shape == (SIZE, SIZE, 3)
  np.testing.assert_allclose(out[..., 1], out[..., 0], atol=1e-4)
  np.testing.assert_allclose(out[..., 2], out[..., 0], atol=1e-4)
  assert out.std() > 0.1


def test_grayscale_of_one_channel_image():
  gray = np.arange(12, dtype=np.float32).reshape([3, 4, 1])
  out = image_ops.grayscale(gray).numpy()
  assert out.shape == (3, 4, 3)
  np.testing.assert_array_equal(out, np.repeat(gray, 3, axis=-1))


def test_resize_samples_as_tf1():
  image = _image(7, 9).astype(np.float32)
  tf1 = tf.raw_ops.ResizeBilinear(images=image[None], size=[5, 4], align_corners=False,
                                  half_pixel_centers=False)[0]
  np.testing.assert_allclose(image_ops.resize(image, 5, 4), tf1, atol=ATOL)


@pytest.mark.parametrize('size,side,expected', [
    ((64, 80), 32, (32, 40)), ((80, 64), 32, (40, 32)), ((100, 150), 64, (64, 96)),
    ((30, 30), 256, (256, 256))])
def test_aspect_preserving_resize(size, side, expected):
  out = image_ops.aspect_preserving_resize(_image(*size), side)
  assert out.shape == expected + (3,)
  assert out.dtype == tf.float32


def test_crops():
  image = np.arange(6 * 8, dtype=np.float32).reshape([6, 8, 1])
  np.testing.assert_array_equal(image_ops.central_crop(image, 2, 4), image[2:4, 2:6])
  crop = image_ops.random_crop(image, 3, 5).numpy()
  top, left = np.argwhere(image[..., 0] == crop[0, 0, 0])[0]
  np.testing.assert_array_equal(crop, image[top:top + 3, left:left + 5])


def test_crop_larger_than_image_is_a_clear_error():
  with pytest.raises(tf.errors.InvalidArgumentError, match=r'smaller than the 7 x 4 crop'):
    image_ops.random_crop(np.zeros([6, 8, 3], np.float32), 7, 4)
  with pytest.raises(tf.errors.InvalidArgumentError, match=r'smaller than the 300 x 300 crop'):
    vgg_preprocessing.preprocess_for_eval(_image(), 300, 300, resize_side=256)


def test_distorted_bounding_box_crop_covers_the_box():
  box = tf.constant([[[0.25, 0.25, 0.75, 0.75]]])
  image = _image(64, 64)
  for _ in range(5):
    crop, crop_box = inception_preprocessing.distorted_bounding_box_crop(
        image, box, min_object_covered=1.0)
    assert crop_box.shape == (1, 1, 4)
    ymin, xmin, ymax, xmax = crop_box.numpy()[0, 0]
    assert ymin <= 0.25 and xmin <= 0.25 and ymax >= 0.75 and xmax >= 0.75
    assert 32 <= crop.shape[0] <= 64 and 32 <= crop.shape[1] <= 64


def test_distort_color_orderings():
  image = tf.constant(_image(8, 8), tf.float32) / 255
  for fast_mode in (True, False):
    for ordering in range(4):
      out = inception_preprocessing.distort_color(image, ordering, fast_mode)
      assert out.shape == (8, 8, 3)
      assert 0 <= out.numpy().min() and out.numpy().max() <= 1
  with pytest.raises(ValueError, match='color_ordering'):
    inception_preprocessing.distort_color(image, 4, fast_mode=False)


def test_apply_with_random_selector_covers_all_cases():
  tf.random.set_seed(1)
  seen = {int(inception_preprocessing.apply_with_random_selector(
      tf.constant(10), lambda x, case: x + case, num_cases=4)) for _ in range(40)}
  assert seen == {10, 11, 12, 13}


def _summary_tags(logdir):
  tags = []
  for path in tf.io.gfile.glob(str(logdir / '*')):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        assert value.metadata.plugin_data.plugin_name == 'images'
        width, height = value.tensor.string_val[:2]
        png = tf.io.decode_png(value.tensor.string_val[2])
        assert png.shape[:2] == (int(height), int(width))
        tags.append(value.tag)
  return tags


def test_image_summaries_only_with_a_writer(tmp_path):
  image = _image()
  # No writer: nothing is written and nothing fails, eagerly or in tf.data.
  _preprocess('inception', image, True)
  list(tf.data.Dataset.from_tensors(image).map(
      lambda x: _preprocess('cifarnet', x, True)).as_numpy_iterator())
  writer = tf.summary.create_file_writer(str(tmp_path))
  with writer.as_default(step=0):
    _preprocess('inception', image, True)
    _preprocess('inception', image, True, add_image_summaries=False)
    list(tf.data.Dataset.from_tensors(image).map(
        lambda x: _preprocess('cifarnet', x, False)).as_numpy_iterator())
  writer.close()
  tags = sorted(tag.split('/')[-1] for tag in _summary_tags(tmp_path))
  assert tags == sorted([
      'image_with_bounding_boxes', 'images_with_distorted_bounding_box',
      'cropped_resized_image', 'final_distorted_image', 'image', 'resized_image'])


@pytest.mark.parametrize('model,expected', [
    ('inception_v3', 'inception'), ('inception_resnet_v2', 'inception'),
    ('mobilenet_v1', 'inception'), ('mobilenet_v2_140', 'inception'),
    ('nasnet_large', 'inception'), ('pnasnet_mobile', 'inception'),
    ('resnet_v1_50', 'vgg'), ('resnet_v2_152', 'vgg'), ('vgg_16', 'vgg'), ('vgg_a', 'vgg'),
    ('alexnet_v2', 'vgg'), ('overfeat', 'vgg'), ('lenet', 'lenet'), ('cifarnet', 'cifarnet')])
def test_factory_by_model_name(model, expected):
  assert factory.PREPROCESSING_NAMES[model] == expected
  image = _image()
  np.testing.assert_array_equal(factory.get_preprocessing(model)(image, SIZE, SIZE),
                                _preprocess(expected, image))


def test_factory_by_preprocessing_name():
  image = _image()
  modules = {'inception': inception_preprocessing, 'vgg': vgg_preprocessing,
             'lenet': lenet_preprocessing, 'cifarnet': cifarnet_preprocessing}
  for name, module in modules.items():
    np.testing.assert_array_equal(
        factory.get_preprocessing(name)(image, SIZE, SIZE),
        module.preprocess_image(image, SIZE, SIZE, is_training=False))
  # Keyword arguments reach the module's preprocess_image.
  np.testing.assert_array_equal(
      factory.get_preprocessing('vgg')(image, SIZE, SIZE, resize_side_min=40),
      vgg_preprocessing.preprocess_for_eval(image, SIZE, SIZE, resize_side=40))
  assert preprocessing_factory.get_preprocessing is factory.get_preprocessing


def test_factory_unknown_name():
  with pytest.raises(ValueError, match=r"'inceptoin_v3'; did you mean inception_v3") as info:
    factory.get_preprocessing('inceptoin_v3')
  for name in ('cifarnet', 'inception', 'lenet', 'vgg', 'resnet_v1_50'):
    assert name in str(info.value)


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('is_training', [False, True])
def test_pixels_then_normalize_is_the_whole_preprocessing(name, is_training):
  """`normalized=False` stops before the last step; `normalize` is that step."""
  image, fn = _image(), factory.get_preprocessing(name, is_training)
  tf.random.set_seed(3)
  whole = fn(image, SIZE, SIZE).numpy()
  tf.random.set_seed(3)
  pixels = fn(image, SIZE, SIZE, normalized=False)
  assert pixels.dtype == tf.float32 and pixels.shape == (SIZE, SIZE, 3)
  if name != 'cifarnet':  # its random brightness may leave [0, 255], as TF-Slim's does
    assert -ATOL <= float(tf.reduce_min(pixels)) and float(tf.reduce_max(pixels)) <= 255 + 1e-3
  np.testing.assert_allclose(fn.normalize(pixels).numpy(), whole, atol=ATOL)
