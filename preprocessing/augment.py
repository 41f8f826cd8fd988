"""Per-image training augmentations: RandAugment, AutoAugment and random erasing.

Each takes one float32 [height, width, channels] image of pixel values in [0, 255] (what a
preprocessing function returns with `normalized=False`, after its crop, flip and colour steps)
and a stateless seed (shape [2]), and returns an image of the same shape and range; the same
seed gives the same image, so a pipeline that derives the seed from its --seed, its worker and
the example's position repeats run to run (`datasets.pipeline`). The operations themselves are
in `augment_ops`.

- RandAugment (Cubuk et al. 2019): `num_ops` operations in a row, each drawn uniformly from
  RANDAUGMENT_OPS, all at one magnitude. Magnitudes run from 0 to MAX_MAGNITUDE; 10 is the
  strongest of the paper's search space, beyond it the operations extrapolate. The scale is
  one in which 0 changes nothing and a larger magnitude is always stronger (timm's
  "increasing" ops; Model Garden's and the original TPU scale do neither: its Solarize and
  Posterize weaken as the magnitude grows, and its ImageEnhance factor is 0.1 at 0).
- AutoAugment (Cubuk et al. 2018): one of a policy's sub-policies drawn uniformly, each of its
  two operations applied with its own probability at its own level. 'v0' is the ImageNet
  policy of the AutoAugment paper as Model Garden and the TPU EfficientNet code list it, on
  their level scale (ORIGINAL_SCALE), with translations relative to the image (0.45 of a side
  at level 10, as timm's) rather than 250 pixels.
- Random erasing (Zhong et al. 2017): with a probability, a rectangle of 2% to 1/3 of the
  area and aspect ratio 0.3 to 3.3 (the first of 10 draws that fits) filled with random pixel
  values (the paper's RE-R).
"""

import math

import tensorflow as tf

from preprocessing import augment_ops as ops

MAX_MAGNITUDE = 30
_LEVEL = 10.0  # the magnitude that is the paper's strongest

# (name, operation, argument from (magnitude / _LEVEL, random sign +-1, image)) per scale.
_GEOMETRIC = {
    'Rotate': (ops.rotate, lambda x, sign, _: sign * x * 30.0),
    'ShearX': (ops.shear_x, lambda x, sign, _: sign * x * 0.3),
    'ShearY': (ops.shear_y, lambda x, sign, _: sign * x * 0.3),
    'TranslateX': (ops.translate_x, lambda x, sign, _: sign * x * 0.45),
    'TranslateY': (ops.translate_y, lambda x, sign, _: sign * x * 0.45),
}
_UNSCALED = {
    'AutoContrast': (lambda image, _: ops.autocontrast(image), lambda x, sign, _: 0.0),
    'Equalize': (lambda image, _: ops.equalize(image), lambda x, sign, _: 0.0),
    'Invert': (lambda image, _: ops.invert(image), lambda x, sign, _: 0.0),
}
_ENHANCE = {'Color': ops.color, 'Contrast': ops.contrast, 'Brightness': ops.brightness,
            'Sharpness': ops.sharpness}

INCREASING_SCALE = dict(
    _GEOMETRIC, **_UNSCALED,
    **{name: (op, lambda x, sign, _: tf.maximum(1.0 + sign * x * 0.9, 0.0))
       for name, op in _ENHANCE.items()},
    Posterize=(ops.posterize, lambda x, sign, _: tf.clip_by_value(8.0 - x * 4.0, 0.0, 8.0)),
    Solarize=(ops.solarize, lambda x, sign, _: tf.maximum(256.0 - x * 256.0, 0.0)),
    SolarizeAdd=(ops.solarize_add, lambda x, sign, _: x * 110.0),
    # Model Garden's 40-pixel half side at 224 pixels, as a fraction of the shorter side.
    Cutout=(None, lambda x, sign, image: x * (40.0 / 224.0) * tf.cast(
        tf.reduce_min(tf.shape(image)[:2]), tf.float32)),
)

ORIGINAL_SCALE = dict(
    _GEOMETRIC, **_UNSCALED,
    **{name: (op, lambda x, sign, _: x * 1.8 + 0.1) for name, op in _ENHANCE.items()},
    Posterize=(ops.posterize, lambda x, sign, _: tf.floor(x * 4.0)),
    Solarize=(ops.solarize, lambda x, sign, _: tf.floor(x * 256.0)),
    SolarizeAdd=(ops.solarize_add, lambda x, sign, _: tf.floor(x * 110.0)),
)

RANDAUGMENT_OPS = ('AutoContrast', 'Equalize', 'Invert', 'Rotate', 'Posterize', 'Solarize',
                   'Color', 'Contrast', 'Brightness', 'Sharpness', 'ShearX', 'ShearY',
                   'TranslateX', 'TranslateY', 'Cutout', 'SolarizeAdd')

# The AutoAugment paper's ImageNet policy: 25 sub-policies of (operation, probability, level).
AUTOAUGMENT_POLICIES = {
    'v0': (
        (('Equalize', 0.8, 1), ('ShearY', 0.8, 4)),
        (('Color', 0.4, 9), ('Equalize', 0.6, 3)),
        (('Color', 0.4, 1), ('Rotate', 0.6, 8)),
        (('Solarize', 0.8, 3), ('Equalize', 0.4, 7)),
        (('Solarize', 0.4, 2), ('Solarize', 0.6, 2)),
        (('Color', 0.2, 0), ('Equalize', 0.8, 8)),
        (('Equalize', 0.4, 8), ('SolarizeAdd', 0.8, 3)),
        (('ShearX', 0.2, 9), ('Rotate', 0.6, 8)),
        (('Color', 0.6, 1), ('Equalize', 1.0, 2)),
        (('Invert', 0.4, 9), ('Rotate', 0.6, 0)),
        (('Equalize', 1.0, 9), ('ShearY', 0.6, 3)),
        (('Color', 0.4, 7), ('Equalize', 0.6, 0)),
        (('Posterize', 0.4, 6), ('AutoContrast', 0.4, 7)),
        (('Solarize', 0.6, 8), ('Color', 0.6, 9)),
        (('Solarize', 0.2, 4), ('Rotate', 0.8, 9)),
        (('Rotate', 1.0, 7), ('TranslateY', 0.8, 9)),
        (('ShearX', 0.0, 0), ('Solarize', 0.8, 4)),
        (('ShearY', 0.8, 0), ('Color', 0.6, 4)),
        (('Color', 1.0, 0), ('Rotate', 0.6, 2)),
        (('Equalize', 0.8, 4), ('Equalize', 0.0, 8)),
        (('Equalize', 1.0, 4), ('AutoContrast', 0.6, 2)),
        (('ShearY', 0.4, 7), ('SolarizeAdd', 0.6, 7)),
        (('Posterize', 0.8, 2), ('Solarize', 0.6, 10)),
        (('Solarize', 0.6, 8), ('Equalize', 0.6, 1)),
        (('Color', 0.8, 6), ('Rotate', 0.4, 5)),
    ),
}

# Random erasing's rectangle: area fraction, aspect ratio, draws (Zhong et al.'s and timm's).
ERASING_AREA = (0.02, 1.0 / 3.0)
ERASING_ASPECT = (0.3, 1.0 / 0.3)
ERASING_DRAWS = 10


def _seed(seed, *numbers):
  for number in numbers:
    seed = tf.random.experimental.stateless_fold_in(seed, number)
  return seed


def _uniform(seed, shape=(), low=0.0, high=1.0, dtype=tf.float32):
  return tf.random.stateless_uniform(shape, seed, low, high, dtype=dtype)


def apply_op(name, image, magnitude, seed, scale=INCREASING_SCALE):
  """Operation `name` at `magnitude` (0 to MAX_MAGNITUDE) on the scale `scale`; `seed` draws
  its sign (geometric and enhance ops) and where Cutout cuts."""
  op, argument = scale[name]
  sign = tf.where(_uniform(_seed(seed, 0)) < 0.5, -1.0, 1.0)
  value = argument(tf.cast(magnitude, tf.float32) / _LEVEL, sign, image)
  if name == 'Cutout':
    shape = tf.shape(image)
    center = [_uniform(_seed(seed, 1 + axis), (), 0, shape[axis], tf.int32) for axis in (0, 1)]
    return ops.cutout(image, value, *center)
  return op(image, value)


def _one_of(image, seed, magnitude):
  """One RandAugment layer: an operation drawn from RANDAUGMENT_OPS at `magnitude`."""
  choice = _uniform(_seed(seed, 0), (), 0, len(RANDAUGMENT_OPS), tf.int32)
  return tf.switch_case(choice, [lambda name=name: apply_op(name, image, magnitude, _seed(seed, 1))
                                 for name in RANDAUGMENT_OPS])


def randaugment(image, seed, num_ops, magnitude):
  """RandAugment: `num_ops` operations drawn from RANDAUGMENT_OPS, each at `magnitude`."""
  for layer in range(num_ops):
    image = _one_of(image, _seed(seed, layer), magnitude)
  return image


def _maybe(image, seed, name, probability, level):
  """AutoAugment's step: operation `name` at `level` with `probability`."""
  return tf.cond(_uniform(_seed(seed, 0)) < probability,
                 lambda: apply_op(name, image, level, _seed(seed, 1), ORIGINAL_SCALE),
                 lambda: image)


def autoaugment(image, seed, policy='v0'):
  """AutoAugment: one of AUTOAUGMENT_POLICIES[policy]'s sub-policies, drawn uniformly."""
  subpolicies = AUTOAUGMENT_POLICIES[policy]

  def subpolicy(operations):
    result = image
    for index, operation in enumerate(operations):
      result = _maybe(result, _seed(seed, 1, index), *operation)
    return result

  choice = _uniform(_seed(seed, 0), (), 0, len(subpolicies), tf.int32)
  return tf.switch_case(choice, [lambda s=s: subpolicy(s) for s in subpolicies])


def random_erasing(image, seed, probability):
  """With `probability`, a random rectangle of `image` filled with random pixel values."""
  if probability <= 0:
    return image
  shape = tf.shape(image)
  height, width = shape[0], shape[1]
  area = tf.cast(height * width, tf.float32)
  target = area * _uniform(_seed(seed, 1), [ERASING_DRAWS], *ERASING_AREA)
  aspect = tf.exp(_uniform(_seed(seed, 2), [ERASING_DRAWS], *map(math.log, ERASING_ASPECT)))
  box_heights = tf.cast(tf.round(tf.sqrt(target * aspect)), tf.int32)
  box_widths = tf.cast(tf.round(tf.sqrt(target / aspect)), tf.int32)
  fits = (box_heights < height) & (box_widths < width)
  first = tf.argmax(tf.cast(fits, tf.int32), output_type=tf.int32)
  box_height, box_width = box_heights[first], box_widths[first]
  top = _uniform(_seed(seed, 3), (), 0, height - box_height + 1, tf.int32)
  left = _uniform(_seed(seed, 4), (), 0, width - box_width + 1, tf.int32)
  erase = (_uniform(_seed(seed, 0)) < probability) & fits[first]

  def erased():  # the noise only for the images erased
    mask = ops.box_mask(height, width, top, left, box_height, box_width)
    noise = tf.floor(_uniform(_seed(seed, 5), tf.shape(image), 0.0, 256.0))
    return tf.where(mask, noise, image)
  return tf.cond(erase, erased, lambda: image)


def make_augment(randaugment_ops=0, randaugment_magnitude=0, autoaugment_policy=None,
                 erasing_probability=0.0):
  """`fn(pixels, seed) -> pixels` doing the augmentations asked for, in this order:
  AutoAugment (a name of AUTOAUGMENT_POLICIES) or RandAugment, then random erasing; None when
  none is asked for. Values are in range (engine.inputs checks the flags)."""
  if not (randaugment_ops or autoaugment_policy or erasing_probability):
    return None

  def augment(pixels, seed):
    if autoaugment_policy:
      pixels = autoaugment(pixels, _seed(seed, 1), autoaugment_policy)
    if randaugment_ops:
      pixels = randaugment(pixels, _seed(seed, 2), randaugment_ops, randaugment_magnitude)
    return random_erasing(pixels, _seed(seed, 3), erasing_probability)
  return augment
