"""The image operations that RandAugment and AutoAugment choose from, and the boxes that
cutout, random erasing and CutMix fill.

Every operation maps one float32 [height, width, channels] image of pixel values in [0, 255]
(a preprocessing function's `normalized=False` output) to another of the same shape and range,
and takes its strength as a plain value (an angle, a factor, a number of bits), so that the
policies in `preprocessing.augment` decide how a magnitude becomes one. They follow PIL's
definitions, which the AutoAugment and RandAugment papers used: `equalize` is PIL's
ImageOps.equalize, the four `ImageEnhance` ops blend with PIL's degenerate images, and what a
geometric op uncovers is grey (128). Grayscale images (one channel) work too.
"""

import tensorflow as tf

GREY = 128.0
_SMOOTH = ((1.0, 1.0, 1.0), (1.0, 5.0, 1.0), (1.0, 1.0, 1.0))  # PIL's ImageFilter.SMOOTH


def _clip(image):
  return tf.clip_by_value(image, 0.0, 255.0)


def _project(image, transform):
  """`image` resampled where `transform` (8 numbers: output x, y -> input x, y) points, bilinear,
  grey outside."""
  transform = tf.cast(tf.stack(transform), tf.float32)
  output = tf.raw_ops.ImageProjectiveTransformV3(
      images=image[None], transforms=transform[None], output_shape=tf.shape(image)[:2],
      fill_value=GREY, interpolation='BILINEAR', fill_mode='CONSTANT')[0]
  output.set_shape(image.shape)
  return output


def _size(image):
  shape = tf.shape(image)
  return tf.cast(shape[0], tf.float32), tf.cast(shape[1], tf.float32)


def rotate(image, degrees):
  """Rotates about the centre by `degrees`, counterclockwise (as PIL's)."""
  height, width = _size(image)
  radians = tf.cast(degrees, tf.float32) * (3.141592653589793 / 180.0)
  cos, sin = tf.cos(radians), tf.sin(radians)
  center_x, center_y = (width - 1.0) / 2.0, (height - 1.0) / 2.0
  return _project(image, [cos, -sin, center_x - cos * center_x + sin * center_y,
                          sin, cos, center_y - sin * center_x - cos * center_y, 0.0, 0.0])


def shear_x(image, shear):
  return _project(image, [1.0, shear, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0])


def shear_y(image, shear):
  return _project(image, [1.0, 0.0, 0.0, shear, 1.0, 0.0, 0.0, 0.0])


def translate_x(image, fraction):
  """Shifts right by `fraction` of the width (left when negative)."""
  _, width = _size(image)
  return _project(image, [1.0, 0.0, -fraction * width, 0.0, 1.0, 0.0, 0.0, 0.0])


def translate_y(image, fraction):
  """Shifts down by `fraction` of the height (up when negative)."""
  height, _ = _size(image)
  return _project(image, [1.0, 0.0, 0.0, 0.0, 1.0, -fraction * height, 0.0, 0.0])


def autocontrast(image):
  """Stretches each channel to span [0, 255]; a flat channel stays as it is."""
  low = tf.reduce_min(image, axis=[0, 1], keepdims=True)
  high = tf.reduce_max(image, axis=[0, 1], keepdims=True)
  stretched = (image - low) * (255.0 / tf.maximum(high - low, 1e-3))
  return tf.where(high > low, _clip(stretched), image)


def equalize(image):
  """PIL's histogram equalization, per channel, on the pixel values rounded to bytes."""
  channels = image.shape[-1]
  values = tf.cast(tf.round(_clip(image)), tf.int32)
  offsets = tf.range(channels) * 256  # one histogram of 256 bins per channel
  indices = values + offsets
  histogram = tf.reshape(tf.math.bincount(tf.reshape(indices, [-1]), minlength=256 * channels,
                                          maxlength=256 * channels), [channels, 256])
  # PIL leaves out the highest value present when it sizes the steps.
  last = tf.reduce_max(tf.where(histogram > 0, tf.range(256)[None], 0), axis=1)
  last_count = tf.gather(histogram, last, batch_dims=1)
  step = (tf.reduce_sum(histogram, axis=1) - last_count) // 255
  before = tf.cumsum(histogram, axis=1, exclusive=True)
  lookup = tf.minimum((before + (step // 2)[:, None]) // tf.maximum(step, 1)[:, None], 255)
  equalized = tf.cast(tf.gather(tf.reshape(lookup, [-1]), indices), tf.float32)
  return tf.where((step > 0)[None, None], equalized, image)


def invert(image):
  return 255.0 - image


def posterize(image, bits):
  """Keeps the `bits` highest bits (0 to 8) of each byte."""
  quantum = tf.pow(2.0, 8.0 - tf.cast(bits, tf.float32))
  return tf.floor(tf.round(_clip(image)) / quantum) * quantum


def solarize(image, threshold):
  """Inverts the pixel values at or above `threshold`."""
  return tf.where(image < tf.cast(threshold, tf.float32), image, 255.0 - image)


def solarize_add(image, addition, threshold=128.0):
  """Adds `addition` to the pixel values below `threshold`."""
  return tf.where(image < threshold, _clip(image + tf.cast(addition, tf.float32)), image)


def blend(degenerate, image, factor):
  """PIL's ImageEnhance: 0 gives `degenerate`, 1 `image`, beyond 1 extrapolates (clipped)."""
  return _clip(degenerate + tf.cast(factor, tf.float32) * (image - degenerate))


def grayscale(image):
  """The luma of PIL's "L" mode, in every channel."""
  if image.shape[-1] == 1:
    return image
  luma = tf.reduce_sum(image * tf.constant([0.299, 0.587, 0.114]), axis=-1, keepdims=True)
  return tf.broadcast_to(luma, tf.shape(image))


def color(image, factor):
  return blend(grayscale(image), image, factor)


def contrast(image, factor):
  return blend(tf.reduce_mean(grayscale(image)), image, factor)


def brightness(image, factor):
  return blend(tf.zeros_like(image), image, factor)


def sharpness(image, factor):
  """Blends with PIL's smoothed image (its border pixels are the image's own)."""
  channels = image.shape[-1]
  kernel = tf.tile(tf.constant(_SMOOTH)[:, :, None, None] / 13.0, [1, 1, channels, 1])
  smooth = tf.nn.depthwise_conv2d(image[None], kernel, [1, 1, 1, 1], 'VALID')[0]
  interior = tf.pad(tf.ones_like(smooth, dtype=tf.bool), [[1, 1], [1, 1], [0, 0]])
  degenerate = tf.where(interior, tf.pad(smooth, [[1, 1], [1, 1], [0, 0]]), image)
  return blend(degenerate, image, factor)


def box_mask(height, width, top, left, box_height, box_width):
  """bool [height, width, 1]: True inside the box (clipped to the image)."""
  rows = tf.range(height)[:, None, None]
  columns = tf.range(width)[None, :, None]
  return ((rows >= top) & (rows < top + box_height) &
          (columns >= left) & (columns < left + box_width))


def cutout(image, half_size, center_y, center_x):
  """Fills the square of side 2 * `half_size` about (center_y, center_x) with grey."""
  shape = tf.shape(image)
  half_size = tf.cast(half_size, tf.int32)
  mask = box_mask(shape[0], shape[1], center_y - half_size, center_x - half_size,
                  2 * half_size, 2 * half_size)
  return tf.where(mask, GREY, image)
