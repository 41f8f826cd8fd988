"""`get_preprocessing(name)`: TF-Slim's preprocessing factory.

`name` is a preprocessing name ('inception', 'vgg', 'lenet', 'cifarnet') or a
model name, mapped as TF-Slim's factory maps it. One known mismatch is kept for
compatibility: TF-Slim maps resnet_v2_* to 'vgg', but its README says their
checkpoints were trained with 'inception' preprocessing at 299 x 299 (the
model registry records 'inception' for them).
"""

import difflib

from preprocessing import cifarnet_preprocessing
from preprocessing import inception_preprocessing
from preprocessing import lenet_preprocessing
from preprocessing import vgg_preprocessing

MODULES = {
    'cifarnet': cifarnet_preprocessing,
    'inception': inception_preprocessing,
    'lenet': lenet_preprocessing,
    'vgg': vgg_preprocessing,
}

# The model names of TF-Slim's preprocessing_factory, by preprocessing. Ours
# adds the TF-Slim classification models that TF-Slim's table left out
# (alexnet_v2, overfeat, mobilenet_v1_025/050/075, nasnet_cifar).
_MODELS_BY_PREPROCESSING = {
    'cifarnet': ('cifarnet', 'nasnet_cifar'),
    'inception': (
        'inception_v1', 'inception_v2', 'inception_v3', 'inception_v4', 'inception_resnet_v2',
        'mobilenet_v1', 'mobilenet_v1_075', 'mobilenet_v1_050', 'mobilenet_v1_025',
        'mobilenet_v2', 'mobilenet_v2_035', 'mobilenet_v2_140',
        'mobilenet_v3_small', 'mobilenet_v3_large',
        'mobilenet_v3_small_minimalistic', 'mobilenet_v3_large_minimalistic',
        'mobilenet_edgetpu', 'mobilenet_edgetpu_075',
        'nasnet_mobile', 'nasnet_large', 'pnasnet_mobile', 'pnasnet_large'),
    'lenet': ('lenet',),
    'vgg': (
        'resnet_v1_50', 'resnet_v1_101', 'resnet_v1_152', 'resnet_v1_200',
        'resnet_v2_50', 'resnet_v2_101', 'resnet_v2_152', 'resnet_v2_200',
        'vgg_a', 'vgg_16', 'vgg_19', 'alexnet_v2', 'overfeat'),
}

# Every accepted name -> its preprocessing name.
PREPROCESSING_NAMES = dict(
    {name: name for name in MODULES},
    **{model: preprocessing for preprocessing, models in _MODELS_BY_PREPROCESSING.items()
       for model in models})


def get_preprocessing(name, is_training=False, use_grayscale=False):
  """The preprocessing function of a preprocessing or model name.

  Args:
    name: a preprocessing name ('inception', 'vgg', 'lenet', 'cifarnet') or a
      model name ('inception_v3', 'resnet_v1_50', ...).
    is_training: preprocess for training (random distortions), else for evaluation.
    use_grayscale: convert images to grayscale (3 identical channels).

  Returns:
    `fn(image, output_height, output_width, **kwargs)` mapping one image to one
    float32 [output_height, output_width, channels] image; `kwargs` go to the
    module's `preprocess_image`. With `normalized=False` it returns the pixel
    values in [0, 255] before the last step, `fn.normalize(pixels)`, which makes
    them the model's input: what augmentations after the crop and models that
    take RGB bytes (export.py's uint8 input) split at.

  Raises:
    ValueError: if `name` is unknown; the message lists the valid names.
  """
  if name not in PREPROCESSING_NAMES:
    valid = sorted(PREPROCESSING_NAMES)
    close = difflib.get_close_matches(str(name), valid, n=4, cutoff=0.4)
    hint = ('did you mean %s? ' % ', '.join(close)) if close else ''
    raise ValueError('unknown preprocessing name %r; %svalid names: %s' % (
        name, hint, ', '.join(valid)))
  module = MODULES[PREPROCESSING_NAMES[name]]

  def preprocessing_fn(image, output_height, output_width, **kwargs):
    return module.preprocess_image(image, output_height, output_width, is_training=is_training,
                                   use_grayscale=use_grayscale, **kwargs)

  preprocessing_fn.__doc__ = module.preprocess_image.__doc__
  preprocessing_fn.normalize = module.normalize
  return preprocessing_fn
