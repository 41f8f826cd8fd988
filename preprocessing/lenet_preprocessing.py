"""LeNet preprocessing (TF-Slim's `lenet_preprocessing`): crop or pad to the
output size and scale [0, 255] pixel values to [-1, 1), the same for training
and evaluation."""

import tensorflow as tf

from preprocessing import image_ops


def normalize(pixels):
  """float32 pixel values in [0, 255] -> the model's input, (x - 128) / 128."""
  return (pixels - 128.0) / 128.0


def preprocess_image(image, output_height, output_width, is_training, use_grayscale=False,
                     normalized=True):
  """Crops or pads one image to the output size and scales it.

  Args:
    image: [height, width, channels] image, uint8 or float in [0, 255].
    output_height: output height.
    output_width: output width.
    is_training: unused: training and evaluation are the same.
    use_grayscale: convert to grayscale (3 identical channels).
    normalized: scale (the model's input); False returns the pixels before `normalize`.

  Returns:
    float32 [output_height, output_width, channels] image, (x - 128) / 128.
  """
  del is_training  # The same either way.
  image = tf.cast(image_ops.as_image(image), tf.float32)
  if use_grayscale:
    image = image_ops.grayscale(image)
  image = tf.image.resize_with_crop_or_pad(image, output_height, output_width)
  return normalize(image) if normalized else image
