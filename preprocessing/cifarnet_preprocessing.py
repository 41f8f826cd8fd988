"""CifarNet preprocessing (TF-Slim's `cifarnet_preprocessing`).

Training: pad, take a random crop, flip, change brightness and contrast at
random. Evaluation: crop or pad to the output size. Both end with
`tf.image.per_image_standardization`. Pixel values are taken as [0, 255]
(uint8, or floats in that range) and cast to float32.
"""

import tensorflow as tf

from preprocessing import image_ops

_PADDING = 4


def normalize(pixels):
  """float32 pixel values in [0, 255] -> the model's input: per-image standardization."""
  return tf.image.per_image_standardization(pixels)


def _to_float(image, use_grayscale):
  image = tf.cast(image_ops.as_image(image), tf.float32)
  return image_ops.grayscale(image) if use_grayscale else image


def preprocess_for_train(image, output_height, output_width, padding=_PADDING,
                         add_image_summaries=True, use_grayscale=False, normalized=True):
  """Distorts one image for training.

  Args:
    image: [height, width, channels] image, uint8 or float in [0, 255].
    output_height: output height.
    output_width: output width.
    padding: zero padding added to each side before the random crop.
    add_image_summaries: write image summaries when a default summary writer is set.
    use_grayscale: convert to grayscale (3 identical channels).
    normalized: standardize (the model's input); False returns the pixels before
      `normalize`.

  Returns:
    float32 [output_height, output_width, channels] standardized image.
  """
  if add_image_summaries:
    image_ops.image_summary('image', image, max_value=255.0)
  image = _to_float(image, use_grayscale)
  if padding > 0:
    image = tf.pad(image, [[padding, padding], [padding, padding], [0, 0]])
  image = image_ops.random_crop(image, output_height, output_width)
  image = tf.image.random_flip_left_right(image)
  if add_image_summaries:
    image_ops.image_summary('distorted_image', image, max_value=255.0)
  image = tf.image.random_brightness(image, max_delta=63)
  image = tf.image.random_contrast(image, lower=0.2, upper=1.8)
  return normalize(image) if normalized else image


def preprocess_for_eval(image, output_height, output_width, add_image_summaries=True,
                        use_grayscale=False, normalized=True):
  """Crops or pads one image to the output size and standardizes it.

  Args:
    image: [height, width, channels] image, uint8 or float in [0, 255].
    output_height: output height.
    output_width: output width.
    add_image_summaries: write image summaries when a default summary writer is set.
    use_grayscale: convert to grayscale (3 identical channels).
    normalized: standardize (the model's input); False returns the pixels before
      `normalize`.

  Returns:
    float32 [output_height, output_width, channels] standardized image.
  """
  if add_image_summaries:
    image_ops.image_summary('image', image, max_value=255.0)
  image = _to_float(image, use_grayscale)
  image = tf.image.resize_with_crop_or_pad(image, output_height, output_width)
  if add_image_summaries:
    image_ops.image_summary('resized_image', image, max_value=255.0)
  return normalize(image) if normalized else image


def preprocess_image(image, output_height, output_width, is_training=False,
                     add_image_summaries=True, use_grayscale=False, normalized=True):
  """Preprocesses one image for training or evaluation.

  Args:
    image: [height, width, channels] image, uint8 or float in [0, 255].
    output_height: output height.
    output_width: output width.
    is_training: distort for training, else crop or pad only.
    add_image_summaries: write image summaries when a default summary writer is set.
    use_grayscale: convert to grayscale (3 identical channels).
    normalized: standardize (the model's input); False returns the pixels before
      `normalize`.

  Returns:
    float32 [output_height, output_width, channels] standardized image.
  """
  if is_training:
    return preprocess_for_train(image, output_height, output_width,
                                add_image_summaries=add_image_summaries,
                                use_grayscale=use_grayscale, normalized=normalized)
  return preprocess_for_eval(image, output_height, output_width,
                             add_image_summaries=add_image_summaries,
                             use_grayscale=use_grayscale, normalized=normalized)
