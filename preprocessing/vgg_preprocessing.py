"""VGG preprocessing (TF-Slim's `vgg_preprocessing`), also used by the ResNets.

Training: resize so the smaller side is a random length in
[resize_side_min, resize_side_max], take a random crop, flip at random.
Evaluation: resize so the smaller side is `resize_side`, take the central crop.
Both subtract the ImageNet channel means from [0, 255] pixel values: the input
is cast to float32 without rescaling (uint8, or floats in [0, 255]).
"""

import tensorflow as tf

from preprocessing import image_ops

_R_MEAN = 123.68
_G_MEAN = 116.78
_B_MEAN = 103.94

_RESIZE_SIDE_MIN = 256
_RESIZE_SIDE_MAX = 512

_CHANNEL_MEANS = (_R_MEAN, _G_MEAN, _B_MEAN)


def _mean_image_subtraction(image, means):
  """Subtracts per-channel `means` from a [height, width, len(means)] image."""
  channels = image.shape[-1] if image.shape.rank is not None else None
  if channels is not None and channels != len(means):
    raise ValueError('expected a %d-channel image, got shape %s' % (len(means), image.shape))
  return image - tf.constant(means, dtype=image.dtype)


def normalize(pixels):
  """float32 pixel values in [0, 255] -> the model's input: the channel means subtracted."""
  return _mean_image_subtraction(pixels, _CHANNEL_MEANS)


def _finish(image, output_height, output_width, use_grayscale):
  """The steps shared by training and evaluation after the crop."""
  image = tf.cast(image, tf.float32)
  if use_grayscale:
    image = image_ops.grayscale(image)
  image.set_shape([output_height, output_width, len(_CHANNEL_MEANS)])
  return image


def preprocess_for_train(image, output_height, output_width, resize_side_min=_RESIZE_SIDE_MIN,
                         resize_side_max=_RESIZE_SIDE_MAX, use_grayscale=False,
                         normalized=True):
  """Scale augmentation, random crop and flip, mean subtraction.

  Args:
    image: [height, width, 3] RGB image, uint8 or float in [0, 255].
    output_height: output height.
    output_width: output width.
    resize_side_min: least length of the smaller side after the resize.
    resize_side_max: greatest length of the smaller side after the resize.
    use_grayscale: convert to grayscale (3 identical channels) before the
      mean subtraction.
    normalized: subtract the means (the model's input); False returns the pixels
      before `normalize`.

  Returns:
    float32 [output_height, output_width, 3] image, channel means subtracted.
  """
  resize_side = tf.random.uniform([], minval=resize_side_min, maxval=resize_side_max + 1,
                                  dtype=tf.int32)
  image = image_ops.aspect_preserving_resize(image, resize_side)
  image = image_ops.random_crop(image, output_height, output_width)
  image = _finish(image, output_height, output_width, use_grayscale)
  image = tf.image.random_flip_left_right(image)
  return normalize(image) if normalized else image


def preprocess_for_eval(image, output_height, output_width, resize_side, use_grayscale=False,
                        normalized=True, resize_method='bilinear'):
  """Aspect-preserving resize, central crop, mean subtraction.

  Args:
    image: [height, width, 3] RGB image, uint8 or float in [0, 255].
    output_height: output height.
    output_width: output width.
    resize_side: length of the smaller side after the resize.
    use_grayscale: convert to grayscale (3 identical channels) before the
      mean subtraction.
    normalized: subtract the means (the model's input); False returns the pixels
      before `normalize`.
    resize_method: a name of `image_ops.RESIZE_METHODS`.

  Returns:
    float32 [output_height, output_width, 3] image, channel means subtracted.
  """
  image = image_ops.aspect_preserving_resize(image, resize_side, resize_method)
  image = image_ops.central_crop(image, output_height, output_width)
  image = _finish(image, output_height, output_width, use_grayscale)
  return normalize(image) if normalized else image


def preprocess_image(image, output_height, output_width, is_training=False,
                     resize_side_min=_RESIZE_SIDE_MIN, resize_side_max=_RESIZE_SIDE_MAX,
                     use_grayscale=False, normalized=True, central_fraction=None,
                     resize_method='bilinear'):
  """Preprocesses one image for training or evaluation.

  Args:
    image: [height, width, 3] RGB image, uint8 or float in [0, 255].
    output_height: output height.
    output_width: output width.
    is_training: augment for training, else the evaluation crop.
    resize_side_min: smaller side after the resize: the least in training, the
      only one in evaluation.
    resize_side_max: training only: greatest smaller side after the resize.
    use_grayscale: convert to grayscale (3 identical channels).
    normalized: subtract the means (the model's input); False returns the pixels
      before `normalize`.
    central_fraction: evaluation only: the fraction of the smaller side the central
      crop keeps, instead of `resize_side_min` (that side becomes the output size /
      the fraction: 224 / 0.875 = 256, TF-Slim's).
    resize_method: evaluation only: a name of `image_ops.RESIZE_METHODS`.

  Returns:
    float32 [output_height, output_width, 3] image, channel means subtracted.
  """
  if is_training:
    return preprocess_for_train(image, output_height, output_width, resize_side_min,
                                resize_side_max, use_grayscale, normalized)
  if central_fraction:
    resize_side_min = int(round(min(output_height, output_width) / central_fraction))
  return preprocess_for_eval(image, output_height, output_width, resize_side_min,
                             use_grayscale, normalized, resize_method)
