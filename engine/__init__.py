"""What train.py, eval.py and bench.py share: the TF2 wrapper around the nets, flags and
recipes, strategies, checkpoints, optimizers, and the training and evaluation loops."""

import os

# oneDNN's CPU kernels, before TensorFlow loads. TensorFlow enables them by itself
# only on CPUs with AVX-512 VNNI or newer; measured here (AVX2, bench.py), they make
# training 1.2-1.3x faster. TF_ENABLE_ONEDNN_OPTS=0 in the environment still wins.
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '1')

__all__ = ['Network']


def __getattr__(name):  # `from engine import Network` without importing TensorFlow here
  if name == 'Network':
    from engine.network import Network
    return Network
  raise AttributeError('module engine has no attribute %r' % name)
