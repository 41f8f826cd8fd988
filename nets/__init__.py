"""nets: TF-Slim's image classifiers, on TF 2.21, with TF-Slim's API and names.

    from nets import vgg
    with slim.arg_scope(vgg.vgg_arg_scope()):
      logits, end_points = vgg.vgg_16(images, num_classes=1000)

Importing `nets` applies the tf_slim fixes of `scopes.compat`.
"""

import sys

if sys.argv[:1] == ['-m']:  # `python -m nets` is starting: quiet before scopes loads TF
  import tflogs
  tflogs.quiet()

import scopes  # noqa: E402,F401  (the tf_slim fixes, before any net is built)
