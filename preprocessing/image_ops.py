"""Image helpers shared by the preprocessing modules.

All take and return one [height, width, channels] image and build only graph
ops (no Python decisions on tensor values), so they run eagerly, in TF1 graphs
and inside `tf.data` functions alike.
"""

import tensorflow as tf

BILINEAR = tf.compat.v1.image.ResizeMethod.BILINEAR

# The resize methods by name, as tf.image.resize names them. The first four sample as
# TF1 did (the TF-Slim checkpoints' way, see `resize`); the others are TF2's kernels.
_TF1_METHODS = {'bilinear': BILINEAR, 'nearest': tf.compat.v1.image.ResizeMethod.NEAREST_NEIGHBOR,
                'bicubic': tf.compat.v1.image.ResizeMethod.BICUBIC,
                'area': tf.compat.v1.image.ResizeMethod.AREA}
RESIZE_METHODS = tuple(_TF1_METHODS) + ('lanczos3', 'lanczos5', 'gaussian', 'mitchellcubic')

# TensorBoard's image plugin: a string tensor [width, height, png, ...].
_IMAGE_SUMMARY_METADATA = tf.compat.v1.SummaryMetadata(
    plugin_data=tf.compat.v1.SummaryMetadata.PluginData(plugin_name='images'))


def as_image(image):
  """`image` as a tensor of rank 3, [height, width, channels].

  An image of unknown rank (from `tf.io.decode_image`) gets a run-time check
  and a static rank, which the resize and crop ops need.

  Args:
    image: image tensor or array.

  Returns:
    The image as a tensor of static rank 3.

  Raises:
    ValueError: if the rank is known and not 3 (a batch, for one).
  """
  image = tf.convert_to_tensor(image)
  if image.shape.rank is None:
    return tf.ensure_shape(image, [None, None, None])
  if image.shape.rank != 3:
    raise ValueError('expected one [height, width, channels] image, got shape %s' % image.shape)
  return image


def grayscale(image):
  """The luma of an RGB image in three identical channels.

  Args:
    image: [height, width, 3] RGB image, or [height, width, 1] gray image.

  Returns:
    [height, width, 3] image of the input dtype.
  """
  image = tf.convert_to_tensor(image)
  if image.shape.rank is None or image.shape[-1] != 1:
    image = tf.image.rgb_to_grayscale(image)
  # Three channels, so that the same nets and checkpoints take the result.
  return tf.image.grayscale_to_rgb(image)


def resize(image, height, width, method=BILINEAR):
  """Resizes an image to [height, width] the way TF1's `resize_images` did.

  TF1 sampled without half-pixel centres (`align_corners=False`); the official
  TF-Slim checkpoints were trained and evaluated on images resized so.

  Args:
    image: [height, width, channels] image.
    height: output height, int or scalar int32 tensor.
    width: output width.
    method: a `tf.compat.v1.image.ResizeMethod` (0 to 3), or a name of RESIZE_METHODS
      (lanczos3, lanczos5, gaussian and mitchellcubic are tf.image.resize's, with
      half-pixel centres).

  Returns:
    [height, width, channels] float32 image (nearest neighbour keeps the dtype).
  """
  if isinstance(method, str) and method not in _TF1_METHODS:
    return tf.image.resize(image, [height, width], method=method)
  method = _TF1_METHODS.get(method, method)
  return tf.compat.v1.image.resize(image, [height, width], method=method, align_corners=False)


def smallest_size_at_least(height, width, smallest_side):
  """The size with the same aspect ratio whose smaller side is `smallest_side`.

  Args:
    height: scalar int tensor or int.
    width: scalar int tensor or int.
    smallest_side: scalar int tensor or int.

  Returns:
    (new_height, new_width): scalar int32 tensors, rounded to nearest.
  """
  height = tf.cast(height, tf.float32)
  width = tf.cast(width, tf.float32)
  scale = tf.cast(smallest_side, tf.float32) / tf.minimum(height, width)
  new_height = tf.cast(tf.math.rint(height * scale), tf.int32)
  new_width = tf.cast(tf.math.rint(width * scale), tf.int32)
  return new_height, new_width


def aspect_preserving_resize(image, smallest_side, method=BILINEAR):
  """Resize keeping the aspect ratio, the smaller side to `smallest_side`.

  Args:
    image: [height, width, channels] image.
    smallest_side: scalar int tensor or int.
    method: as `resize` takes it (default bilinear).

  Returns:
    float32 image [new_height, new_width, channels].
  """
  image = as_image(image)
  shape = tf.shape(image)
  new_height, new_width = smallest_size_at_least(shape[0], shape[1], smallest_side)
  return resize(image, new_height, new_width, method)


def _checked_for_crop(image, height, width):
  """`image` (rank 3) and its dynamic shape, with a clear check that it holds
  a [height, width] crop."""
  image = as_image(image)
  shape = tf.shape(image)
  check = tf.debugging.assert_greater_equal(
      shape[:2], tf.stack([height, width]),
      message='image is smaller than the %s x %s crop (height x width)' % (height, width))
  with tf.control_dependencies([check]):
    return tf.identity(image), shape


def central_crop(image, height, width):
  """The central [height, width] window of an image (offsets rounded down).

  Args:
    image: [image_height, image_width, channels] image, at least height x width.
    height: crop height, int.
    width: crop width, int.

  Returns:
    [height, width, channels] image.
  """
  image, shape = _checked_for_crop(image, height, width)
  top = (shape[0] - height) // 2
  left = (shape[1] - width) // 2
  return tf.image.crop_to_bounding_box(image, top, left, height, width)


def random_crop(image, height, width):
  """A [height, width] window at a uniformly random position.

  Args:
    image: [image_height, image_width, channels] image, at least height x width.
    height: crop height, int.
    width: crop width, int.

  Returns:
    [height, width, channels] image.
  """
  image, shape = _checked_for_crop(image, height, width)
  top = tf.random.uniform([], maxval=shape[0] - height + 1, dtype=tf.int32)
  left = tf.random.uniform([], maxval=shape[1] - width + 1, dtype=tf.int32)
  return tf.image.crop_to_bounding_box(image, top, left, height, width)


def image_summary(name, image, max_value=1.0):
  """Writes one image to TensorBoard when a default summary writer is set.

  Without a writer this builds nothing and returns False, so it is harmless
  inside `tf.data`; with one, the step is the writer's default step. The
  summary has TensorBoard's image format (written with `tf.summary.write`:
  `tf.summary.image` needs the tensorboard package).

  Args:
    name: summary name.
    image: [height, width, channels] image (1, 3 or 4 channels), or a
      callable returning one, called only when the summary is written.
    max_value: the white level of a float image (1 for [0, 1] images, 255 for
      [0, 255] ones); integer images are written as they are.

  Returns:
    A boolean scalar tensor: whether the summary was written.
  """

  def encoded():
    pixels = tf.convert_to_tensor(image() if callable(image) else image)
    if pixels.dtype.is_floating:
      pixels = pixels / max_value
    pixels = tf.image.convert_image_dtype(pixels, tf.uint8, saturate=True)
    shape = tf.shape(pixels)
    return tf.stack([tf.as_string(shape[1]), tf.as_string(shape[0]), tf.io.encode_png(pixels)])

  return tf.summary.write(name, encoded, metadata=_IMAGE_SUMMARY_METADATA)
