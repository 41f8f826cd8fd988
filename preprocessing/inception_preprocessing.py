"""Inception preprocessing (TF-Slim's `inception_preprocessing`).

Training: a random crop covering part of the bounding box, a resize to the
output size (bilinear, or one of four methods at random when not in fast
mode), a random horizontal flip and random colour distortions. Evaluation: the
central 87.5% of the image resized to the output size. Both return float32
images scaled to [-1, 1]. Inputs of any dtype go through
`tf.image.convert_image_dtype` (uint8 in [0, 255], floats in [0, 1]).
"""

import functools

import tensorflow as tf

from preprocessing import image_ops

# The random colour distortions, as TF-Slim applies them (deltas in [0, 1] units).
_COLOR_OPS = {
    'brightness': lambda x: tf.image.random_brightness(x, max_delta=32. / 255.),
    'saturation': lambda x: tf.image.random_saturation(x, lower=0.5, upper=1.5),
    'hue': lambda x: tf.image.random_hue(x, max_delta=0.2),
    'contrast': lambda x: tf.image.random_contrast(x, lower=0.5, upper=1.5),
}

# The order of the distortions for each `color_ordering` (they do not commute).
_COLOR_ORDERINGS = (
    ('brightness', 'saturation', 'hue', 'contrast'),
    ('saturation', 'brightness', 'contrast', 'hue'),
    ('contrast', 'hue', 'brightness', 'saturation'),
    ('hue', 'saturation', 'contrast', 'brightness'),
)
# Fast mode: brightness and saturation only; orderings 1 to 3 swap them.
_FAST_COLOR_ORDERINGS = ((('brightness', 'saturation'),) +
                         (('saturation', 'brightness'),) * 3)

# Resize methods of training in full mode, by the number TF1 gave them.
_METHOD = tf.compat.v1.image.ResizeMethod
_RESIZE_METHODS = (_METHOD.BILINEAR, _METHOD.NEAREST_NEIGHBOR, _METHOD.BICUBIC, _METHOD.AREA)

# The whole image, as a [1, num_boxes, 4] box list of [ymin, xmin, ymax, xmax].
_WHOLE_IMAGE_BOX = ((0.0, 0.0, 1.0, 1.0),)


def apply_with_random_selector(x, func, num_cases):
  """Computes `func(x, case)` for one `case` drawn uniformly from [0, num_cases).

  Only the selected case runs (`tf.switch_case`).

  Args:
    x: input tensor.
    func: Python function `func(x, case)` for an int `case`.
    num_cases: number of cases.

  Returns:
    The result of `func(x, case)` for the random `case`.
  """
  if num_cases == 1:
    return func(x, 0)
  case = tf.random.uniform([], maxval=num_cases, dtype=tf.int32)
  return tf.switch_case(case, [functools.partial(func, x, c) for c in range(num_cases)])


def distort_color(image, color_ordering=0, fast_mode=True, scope=None):
  """Random brightness, saturation, hue and contrast changes in a fixed order.

  Args:
    image: [height, width, 3] RGB float image in [0, 1].
    color_ordering: int in [0, 3], the order of the distortions.
    fast_mode: distort brightness and saturation only.
    scope: name scope.

  Returns:
    The distorted image, clipped to [0, 1].

  Raises:
    ValueError: if `color_ordering` is not in [0, 3].
  """
  if color_ordering not in range(len(_COLOR_ORDERINGS)):
    raise ValueError('color_ordering must be in [0, 3], got %r' % (color_ordering,))
  orderings = _FAST_COLOR_ORDERINGS if fast_mode else _COLOR_ORDERINGS
  with tf.name_scope(scope or 'distort_color'):
    for name in orderings[color_ordering]:
      image = _COLOR_OPS[name](image)
    return tf.clip_by_value(image, 0.0, 1.0)


def distorted_bounding_box_crop(image, bbox, min_object_covered=0.1,
                                aspect_ratio_range=(0.75, 1.33), area_range=(0.05, 1.0),
                                max_attempts=100, scope=None):
  """A random crop that covers at least part of one of the bounding boxes.

  Args:
    image: [height, width, channels] image.
    bbox: float32 [1, num_boxes, 4] boxes [ymin, xmin, ymax, xmax] in [0, 1]
      coordinates; no boxes means the whole image.
    min_object_covered: the least fraction of some box the crop must hold.
    aspect_ratio_range: allowed range of the crop's width / height.
    area_range: allowed range of the crop's fraction of the image area.
    max_attempts: tries at a crop that fits, before taking the whole image.
    scope: name scope.

  Returns:
    (cropped_image, distort_bbox): the crop [crop_height, crop_width, channels]
    and its box, float32 [1, 1, 4].
  """
  with tf.name_scope(scope or 'distorted_bounding_box_crop'):
    # A stateless op seeded from the stateful generator: it follows
    # tf.random.set_seed like the other random ops here.
    seed = tf.random.uniform([2], maxval=tf.int32.max, dtype=tf.int32)
    begin, size, distort_bbox = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image), bounding_boxes=bbox, seed=seed,
        min_object_covered=min_object_covered, aspect_ratio_range=aspect_ratio_range,
        area_range=area_range, max_attempts=max_attempts,
        use_image_if_no_bounding_boxes=True)
    return tf.slice(image, begin, size), distort_bbox


def _draw_box(image, bbox):
  """`image` with `bbox` ([1, num_boxes, 4]) drawn in red, for summaries."""
  boxed = tf.image.draw_bounding_boxes(image[tf.newaxis], bbox, colors=[[1.0, 0.0, 0.0, 1.0]])
  return boxed[0]


def _given(size):
  """Whether an output size was given (TF-Slim skips the resize on None or 0)."""
  return size is not None and (tf.is_tensor(size) or size > 0)


def normalize(pixels):
  """float32 pixel values in [0, 255] -> the model's input in [-1, 1]."""
  return (pixels / 255.0 - 0.5) * 2.0


def _finish(image, normalized):
  """[0, 1] floats -> the model's input in [-1, 1], or pixel values in [0, 255]."""
  return (image - 0.5) * 2.0 if normalized else image * 255.0


def preprocess_for_train(image, height, width, bbox, fast_mode=True, scope=None,
                         add_image_summaries=True, random_crop=True, use_grayscale=False,
                         normalized=True):
  """Distorts one image for training.

  Args:
    image: [height, width, 3] RGB image, uint8 or float in [0, 1].
    height: output height.
    width: output width.
    bbox: float32 [1, num_boxes, 4] boxes [ymin, xmin, ymax, xmax], or None for
      the whole image.
    fast_mode: bilinear resize only, and brightness/saturation distortions only.
    scope: name scope.
    add_image_summaries: write image summaries when a default summary writer is set.
    random_crop: take a random crop around the bounding box first.
    use_grayscale: convert to grayscale (3 identical channels) after distorting.
    normalized: scale to [-1, 1] (the model's input); False returns pixel values in
      [0, 255], before `normalize`.

  Returns:
    float32 [height, width, 3] image in [-1, 1].
  """
  with tf.name_scope(scope or 'distort_image'):
    if bbox is None:
      bbox = tf.constant([_WHOLE_IMAGE_BOX], dtype=tf.float32)
    image = image_ops.as_image(tf.image.convert_image_dtype(image, tf.float32))
    if add_image_summaries:
      image_ops.image_summary('image_with_bounding_boxes', lambda: _draw_box(image, bbox))

    distorted = image
    if random_crop:
      distorted, distorted_bbox = distorted_bounding_box_crop(image, bbox)
      # tf.slice with a dynamic size loses the static channel count.
      distorted.set_shape([None, None, image.shape[-1]])
      if add_image_summaries:
        image_ops.image_summary('images_with_distorted_bounding_box',
                                lambda: _draw_box(image, distorted_bbox))

    num_cases = 1 if fast_mode else len(_RESIZE_METHODS)
    distorted = apply_with_random_selector(
        distorted, lambda x, case: image_ops.resize(x, height, width, _RESIZE_METHODS[case]),
        num_cases)
    if add_image_summaries:
      image_ops.image_summary(('cropped_' if random_crop else '') + 'resized_image', distorted)

    distorted = tf.image.random_flip_left_right(distorted)
    num_cases = 1 if fast_mode else len(_COLOR_ORDERINGS)
    distorted = apply_with_random_selector(
        distorted, lambda x, ordering: distort_color(x, ordering, fast_mode), num_cases)
    if use_grayscale:
      distorted = image_ops.grayscale(distorted)
    if add_image_summaries:
      image_ops.image_summary('final_distorted_image', distorted)
    return _finish(distorted, normalized)


def preprocess_for_eval(image, height, width, central_fraction=0.875, scope=None,
                        central_crop=True, use_grayscale=False, normalized=True,
                        resize_method='bilinear'):
  """Prepares one image for evaluation: central crop, resize (bilinear), scale.

  Args:
    image: [height, width, channels] image, uint8 or float in [0, 1].
    height: output height; None or 0 keeps the cropped size.
    width: output width; None or 0 keeps the cropped size.
    central_fraction: fraction of each side the central crop keeps.
    scope: name scope.
    central_crop: take the central crop (when `central_fraction` is set).
    use_grayscale: convert to grayscale (3 identical channels).
    normalized: scale to [-1, 1] (the model's input); False returns pixel values in
      [0, 255], before `normalize`.
    resize_method: a name of `image_ops.RESIZE_METHODS`.

  Returns:
    float32 [height, width, channels] image in [-1, 1].
  """
  with tf.name_scope(scope or 'eval_image'):
    image = image_ops.as_image(tf.image.convert_image_dtype(image, tf.float32))
    if use_grayscale:
      image = image_ops.grayscale(image)
    if central_crop and central_fraction:
      image = tf.image.central_crop(image, central_fraction=central_fraction)
    if _given(height) and _given(width):
      image = image_ops.resize(image, height, width, resize_method)
    return _finish(image, normalized)


def preprocess_image(image, height, width, is_training=False, bbox=None, fast_mode=True,
                     add_image_summaries=True, crop_image=True, use_grayscale=False,
                     normalized=True, central_fraction=0.875, resize_method='bilinear'):
  """Preprocesses one image for training or evaluation.

  Args:
    image: [height, width, 3] RGB image, uint8 or float in [0, 1].
    height: output height.
    width: output width.
    is_training: distort for training, else the evaluation crop.
    bbox: training only: [1, num_boxes, 4] boxes to crop around, None for the whole image.
    fast_mode: training only: fewer, cheaper distortions.
    add_image_summaries: training only: write image summaries when a writer is set.
    crop_image: the random crop (training) or central crop (evaluation).
    use_grayscale: convert to grayscale (3 identical channels).
    normalized: scale to [-1, 1] (the model's input); False returns pixel values in
      [0, 255], before `normalize`.
    central_fraction: evaluation only: the fraction of each side the central crop keeps.
    resize_method: evaluation only: a name of `image_ops.RESIZE_METHODS`.

  Returns:
    float32 [height, width, 3] image in [-1, 1].
  """
  if is_training:
    return preprocess_for_train(image, height, width, bbox, fast_mode,
                                add_image_summaries=add_image_summaries,
                                random_crop=crop_image, use_grayscale=use_grayscale,
                                normalized=normalized)
  return preprocess_for_eval(image, height, width, central_fraction, central_crop=crop_image,
                             use_grayscale=use_grayscale, normalized=normalized,
                             resize_method=resize_method)
